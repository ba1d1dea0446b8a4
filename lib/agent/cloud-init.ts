// The cloud-init document (customData) that installs the journal agent on a new VM: it writes the
// script, the systemd unit, the settings and the root-only token file, then enables and starts the
// service. The YAML is emitted by hand (a fixed, small shape) so lib/ needs no YAML dependency; the
// tests parse it back with a real YAML parser.
import { gzipSync } from 'node:zlib';

import { AppError } from '../errors';
import { isVmName } from '../vms/names';
import { AGENT_PATHS, AGENT_UNIT_NAME, agentAssets } from './assets';

export interface RenderCloudInitOptions {
  vmName: string;
  /** Full ingestion URL for this VM, e.g. https://app.example/api/vms/web-1/journal */
  ingestUrl: string;
  /** The VM's ingest token (written to a 0600 root-only file, never into the env file). */
  token: string;
}

/** Azure rejects customData above 64 KiB (decoded); we stay far below it. */
export const CUSTOM_DATA_MAX_BYTES = 65_535;

const TOKEN = /^[A-Za-z0-9._~+/=-]{16,512}$/;

const invalid = (field: string, message: string) =>
  new AppError('InvalidAgentSettings', 500, `renderCloudInit: ${field} ${message}`, [{ field, message }]);

/** The ingest URL as written into a systemd EnvironmentFile: http(s), no quoting needed. */
function checkedUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('ingestUrl', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('ingestUrl', 'must be http(s)');
  if (!/^[\x21-\x7e]+$/.test(url.href) || /["'\\$`]/.test(url.href))
    throw invalid('ingestUrl', 'must not contain quotes, backslashes, $ or backticks');
  return url.href;
}

export function renderAgentEnv(ingestUrl: string): string {
  return agentAssets().envTemplate.replace('@INGEST_URL@', checkedUrl(ingestUrl));
}

/** A YAML scalar for `content:`: a readable block literal when safe, else a JSON (= YAML) string. */
function yamlContent(text: string, indent: string): string {
  const blockSafe = /^[\t\n\x20-\x7e]*$/.test(text) && !/^[ \t\n]/.test(text) && !/\n\n$/.test(text);
  if (!blockSafe || text === '') return JSON.stringify(text);
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n').map((l) => (l === '' ? '' : indent + l));
  return `${text.endsWith('\n') ? '|' : '|-'}\n${lines.join('\n')}`;
}

/** One write_files item; `gzip`: stored as gz+b64 (cloud-init decodes it), for the large script. */
function writeFile(path: string, permissions: string, content: string, gzip = false): string {
  const indent = '      ';
  return [
    `  - path: ${path}`,
    `    owner: root:root`,
    `    permissions: '${permissions}'`,
    ...(gzip
      ? [`    encoding: gz+b64`, `    content: ${gzipSync(content, { level: 9 }).toString('base64')}`]
      : [`    content: ${yamlContent(content, indent)}`]),
  ].join('\n');
}

export function renderCloudInit(opts: RenderCloudInitOptions): string {
  if (!isVmName(opts.vmName)) throw invalid('vmName', 'is not a valid VM name');
  if (!TOKEN.test(opts.token)) throw invalid('token', 'must be 16–512 URL-safe characters');
  const assets = agentAssets();
  const doc = [
    '#cloud-config',
    `# vm-journal: installs the journal agent for VM ${opts.vmName} (see infra/vm/README.md).`,
    'write_files:',
    // The script carries its design notes (~16 KB); gzip keeps customData small (~10 KB in all).
    writeFile(AGENT_PATHS.script, '0755', assets.script, true),
    writeFile(AGENT_PATHS.unit, '0644', assets.unit),
    writeFile(AGENT_PATHS.env, '0644', renderAgentEnv(opts.ingestUrl)),
    writeFile(AGENT_PATHS.token, '0600', `${opts.token}\n`),
    'runcmd:',
    '  - [systemctl, daemon-reload]',
    `  - [systemctl, enable, --now, --no-block, ${AGENT_UNIT_NAME}]`,
    '',
  ].join('\n');
  const bytes = Buffer.byteLength(doc, 'utf8');
  if (bytes > CUSTOM_DATA_MAX_BYTES)
    throw new AppError('CustomDataTooLarge', 500, `cloud-init is ${bytes} bytes; Azure allows 65535`);
  return doc;
}
