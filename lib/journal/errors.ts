// Errors of the journal pipeline. Every parse or validation failure names the entry's index in the
// request and the field (`entries[3].__CURSOR`), so an agent can find the bad line.
import { AppError } from '../errors';

export const entryField = (index: number, field?: string) =>
  field === undefined ? `entries[${index}]` : `entries[${index}].${field}`;

/** 400: a malformed entry (bad JSON, bad length, missing required field, truncated body…). */
export function invalidEntry(index: number, field: string | undefined, message: string): AppError {
  const name = entryField(index, field);
  return new AppError('InvalidJournalEntry', 400, `${name}: ${message}`, [{ field: name, message }]);
}

/** 413: an entry, a field or the whole body is above its documented limit. */
export function entryTooLarge(index: number, field: string | undefined, message: string): AppError {
  const name = entryField(index, field);
  return new AppError('PayloadTooLarge', 413, `${name}: ${message}`, [{ field: name, message }]);
}

/** Field names in messages: printable and short, whatever the client sent. */
export function showName(raw: string): string {
  return JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}…` : raw);
}
