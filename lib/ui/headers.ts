// Response headers of the web console (lib/ui/handler.ts). The policy allows only this origin's scripts,
// styles and API (no inline script or eval, no framing); uPlot sets element styles, hence
// style-src 'unsafe-inline' (style only; script stays strict).
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  woff2: 'font/woff2',
};

/** The Content-Type of a console asset by extension, undefined for anything else. */
export function uiAssetType(path: string): string | undefined {
  return TYPES[/\.([a-z0-9]+)$/.exec(path)?.[1] ?? ''];
}
