// Where vmj connects: `--url`/`--key` on the command line, else VMJ_URL/VMJ_KEY, else the profile that
// `vmj login` saved in $XDG_CONFIG_HOME/vm-journal/config.json (mode 0600, it may hold a function key),
// else the local runtime that `npm start` serves.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { UsageError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:7071';

export interface Profile {
  url: string;
  key?: string;
}

export interface Connection extends Profile {
  /** Where the URL came from, for messages. */
  source: 'flag' | 'env' | 'profile' | 'default';
}

type Env = Record<string, string | undefined>;

export function configPath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'vm-journal', 'config.json');
}

export function readProfile(env: Env = process.env): Profile | undefined {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let p: Partial<Profile>;
  try {
    p = JSON.parse(text) as Partial<Profile>;
  } catch {
    throw new UsageError(`${path} is not valid JSON; run vmj login again`);
  }
  if (typeof p.url !== 'string') throw new UsageError(`${path} has no url; run vmj login again`);
  return { url: p.url, ...(typeof p.key === 'string' ? { key: p.key } : {}) };
}

export function saveProfile(profile: Profile, env: Env = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600); // writeFileSync keeps the mode of a file that already existed
  return path;
}

/** A base URL as given: http(s), no query; a trailing slash or /api is dropped. */
export function checkUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url: must be http or https`);
  return u
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api$/, '');
}

export function resolveConnection(flags: { url?: string; key?: string }, env: Env = process.env): Connection {
  const profile = readProfile(env);
  const key = flags.key ?? env.VMJ_KEY ?? profile?.key;
  const [url, source]: [string, Connection['source']] = flags.url
    ? [flags.url, 'flag']
    : env.VMJ_URL
      ? [env.VMJ_URL, 'env']
      : profile
        ? [profile.url, 'profile']
        : [DEFAULT_URL, 'default'];
  return { url: checkUrl(url), ...(key ? { key } : {}), source };
}
