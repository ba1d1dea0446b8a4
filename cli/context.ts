// What every command needs: the API client for the connection its flags, env and profile name, the
// colours of its streams, and an abort signal that Ctrl-C fires (so streams end cleanly).
import { type Command, InvalidArgumentError } from 'commander';

import { resolveConnection } from './config';
import { ApiClient } from './http';
import { type Colors, colors } from './output';

export interface Ctx {
  client: ApiClient;
  out: Colors;
  err: Colors;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

const interrupt = new AbortController();
let installed = false;

/** Aborts the shared signal on Ctrl-C; a second Ctrl-C exits at once. */
function installSignals(): void {
  if (installed) return;
  installed = true;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function ctxOf(cmd: Command): Ctx {
  installSignals();
  const g = cmd.optsWithGlobals<{ url?: string; key?: string }>();
  return {
    client: new ApiClient(resolveConnection({ url: g.url, key: g.key })),
    out: colors(process.stdout),
    err: colors(process.stderr),
    signal: interrupt.signal,
  };
}

/** Parses a positive integer option, or a usage error naming it. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`${name} must be an integer ${min}–${max}`);
    return Number(value);
  };
}
