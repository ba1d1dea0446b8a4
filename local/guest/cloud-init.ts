// Reads what a simulated guest needs from a VM's customData: the files cloud-init would write
// (write_files) for the journal agent. Parsed with a real YAML parser, as cloud-init does.
import { gunzipSync } from 'node:zlib';

import { parse } from 'yaml';

import { AGENT_PATHS } from '../../lib/agent/assets';

export interface AgentPayload {
  script: string;
  envFile: string;
  token: string;
}

interface WriteFile {
  path?: unknown;
  content?: unknown;
  encoding?: unknown;
}

function decode(f: WriteFile): string {
  const content = typeof f.content === 'string' ? f.content : '';
  const enc = typeof f.encoding === 'string' ? f.encoding : 'text/plain';
  if (['b64', 'base64'].includes(enc)) return Buffer.from(content, 'base64').toString('utf8');
  if (['gz+b64', 'gzip+base64', 'gz+base64', 'gzip+b64'].includes(enc))
    return gunzipSync(Buffer.from(content, 'base64')).toString('utf8');
  return content;
}

/** The agent files in the payload, or a reason why there is no agent to run. */
export function agentFromCustomData(customData: string): AgentPayload | { missing: string } {
  if (!customData.startsWith('#cloud-config'))
    return { missing: 'customData is not a #cloud-config document' };
  let doc: unknown;
  try {
    doc = parse(customData);
  } catch (e) {
    return { missing: `customData is not valid YAML: ${(e as Error).message}` };
  }
  const files = (doc as { write_files?: unknown } | null)?.write_files;
  if (!Array.isArray(files)) return { missing: 'customData has no write_files' };
  const byPath = new Map<string, string>();
  for (const f of files as WriteFile[]) if (typeof f.path === 'string') byPath.set(f.path, decode(f));
  const script = byPath.get(AGENT_PATHS.script);
  const envFile = byPath.get(AGENT_PATHS.env);
  const token = byPath.get(AGENT_PATHS.token);
  if (script === undefined || envFile === undefined || token === undefined)
    return { missing: 'customData does not install the vm-journal agent' };
  return { script, envFile, token: token.trim() };
}
