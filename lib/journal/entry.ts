// From parsed fields to a journal record: required fields checked, keys and the derived columns
// (unit, priority, boot) computed once. Unit = _SYSTEMD_UNIT, else UNIT, else `kernel` for kernel
// messages, else SYSLOG_IDENTIFIER / _COMM (docs/api.md).
import { createHash } from 'node:crypto';

import { invalidEntry } from './errors';
import { type FieldValue, type RawEntry, textOf } from './fields';
import { makeOffset, MAX_REALTIME_USEC } from './keys';

export interface JournalRecord {
  offset: string;
  cursor: string;
  realtimeUsec: number;
  bootId: string;
  unit: string;
  priority?: number;
  fields: RawEntry;
}

const CURSOR_PART = /(?:^|;)([sibmtx])=([0-9a-fA-F]+)/g;
const BOOT_ID = /^[0-9a-f]{32}$/;

/** Validates one parsed entry (its index names it in errors) and derives its keys. */
export function toRecord(fields: RawEntry, index: number): JournalRecord {
  const cursor = requiredText(fields, '__CURSOR', index);
  if (cursor.length > 1024) throw invalidEntry(index, '__CURSOR', 'longer than 1024 characters');
  const rt = requiredText(fields, '__REALTIME_TIMESTAMP', index);
  if (!/^\d{1,16}$/.test(rt))
    throw invalidEntry(index, '__REALTIME_TIMESTAMP', 'must be microseconds since the epoch (digits)');
  const realtimeUsec = Number(rt);
  if (realtimeUsec > MAX_REALTIME_USEC) throw invalidEntry(index, '__REALTIME_TIMESTAMP', 'out of range');

  const parts = new Map<string, string>();
  for (const m of cursor.matchAll(CURSOR_PART)) parts.set(m[1]!, m[2]!.toLowerCase());
  const bootField = (textOf(fields, '_BOOT_ID') ?? '').toLowerCase();
  const bootId = parts.get('b') ?? (BOOT_ID.test(bootField) ? bootField : '0'.repeat(32));
  // The cursor's seqnum identifies the entry within its boot; a cursor without one (not journald's)
  // is hashed, which is still stable for a re-sent entry.
  const seq = parts.get('i');
  const seqnum =
    seq && seq.length <= 16
      ? seq.padStart(16, '0')
      : createHash('sha256').update(cursor).digest('hex').slice(0, 16);
  const boot = BOOT_ID.test(bootId) ? bootId : createHash('sha256').update(bootId).digest('hex').slice(0, 32);

  const p = textOf(fields, 'PRIORITY');
  const priority = p !== undefined && /^[0-7]$/.test(p) ? Number(p) : undefined;
  return {
    offset: makeOffset(realtimeUsec, boot, seqnum),
    cursor,
    realtimeUsec,
    bootId: boot,
    unit: unitOf(fields),
    ...(priority === undefined ? {} : { priority }),
    fields,
  };
}

function requiredText(fields: RawEntry, name: string, index: number): string {
  const values = fields.get(name);
  if (!values || values.length === 0) throw invalidEntry(index, name, 'required field is missing');
  const v: FieldValue | undefined = values[0];
  if (typeof v !== 'string' || v.length === 0) throw invalidEntry(index, name, 'must be non-empty text');
  if (values.length > 1) throw invalidEntry(index, name, 'must appear once');
  return v;
}

/** Longest unit name kept (UTF-16 units): a longer one (UNIT= and SYSLOG_IDENTIFIER= are the client's)
 * is cut to this, the most a query's `unit=` takes; the entry's fields keep the whole value. */
export const MAX_UNIT_CHARS = 512;

export function unitOf(fields: RawEntry): string {
  const unit = unitField(fields);
  if (unit.length <= MAX_UNIT_CHARS) return unit;
  const last = unit.charCodeAt(MAX_UNIT_CHARS - 1);
  return unit.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_UNIT_CHARS - 1 : MAX_UNIT_CHARS);
}

function unitField(fields: RawEntry): string {
  const unit = textOf(fields, '_SYSTEMD_UNIT') || textOf(fields, 'UNIT');
  if (unit) return unit;
  if (textOf(fields, '_TRANSPORT') === 'kernel') return 'kernel';
  return textOf(fields, 'SYSLOG_IDENTIFIER') || textOf(fields, '_COMM') || 'unknown';
}
