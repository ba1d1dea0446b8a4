// The entry as the API returns it (docs/api.md): the derived columns plus every original field.
import type { StoredEntry } from './entity';

export interface ApiEntry {
  offset: string;
  cursor: string;
  time: string;
  realtimeUsec: number;
  bootId: string;
  unit: string;
  priority: number | null;
  identifier: string | null;
  pid: number | null;
  hostname: string | null;
  message: string | null;
  fields: StoredEntry['fields'];
  /** Names of fields whose values are base64 (binary in the journal). */
  binaryFields: string[];
}

function text(e: StoredEntry, name: string): string | null {
  const v = e.fields[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first !== 'string') return null;
  return e.binaryFields.includes(name) ? Buffer.from(first, 'base64').toString('utf8') : first;
}

export function toApiEntry(e: StoredEntry): ApiEntry {
  const realtimeUsec = Number(e.offset.slice(0, 16));
  const pid = text(e, '_PID') ?? text(e, 'SYSLOG_PID');
  return {
    offset: e.offset,
    cursor: e.cursor,
    time: new Date(Math.floor(realtimeUsec / 1000)).toISOString(),
    realtimeUsec,
    bootId: e.bootId,
    unit: e.unit,
    priority: e.priority ?? null,
    identifier: text(e, 'SYSLOG_IDENTIFIER') ?? text(e, '_COMM'),
    pid: pid && /^\d+$/.test(pid) ? Number(pid) : null,
    hostname: text(e, '_HOSTNAME'),
    message: text(e, 'MESSAGE'),
    fields: e.fields,
    binaryFields: e.binaryFields,
  };
}
