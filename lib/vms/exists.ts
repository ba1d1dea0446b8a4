// "Does this VM exist?" for the journal's read routes (a VM that was never created, or was deleted,
// answers 404). A VM seen alive is remembered for a few seconds so that a busy dashboard's queries do
// not each pay a point read; a missing one is never remembered (it may be created the next moment).
import { notFound } from '../errors';
import { getVm } from './store';

const ALIVE_TTL_MS = 5_000;
const MAX_REMEMBERED = 1_000;
const alive = new Map<string, number>();

/** Throws the 404 unless a VM of this name exists and is not deleted. */
export async function requireLiveVm(name: string, nowMs = Date.now()): Promise<void> {
  const seen = alive.get(name);
  if (seen !== undefined && nowMs - seen < ALIVE_TTL_MS) return;
  const stored = await getVm(name);
  if (!stored || stored.record.status === 'deleted') {
    alive.delete(name);
    throw notFound(
      stored ? `No VM named '${name}' (it was deleted with its journal).` : `No VM named '${name}'.`,
    );
  }
  alive.delete(name);
  alive.set(name, nowMs);
  if (alive.size > MAX_REMEMBERED) alive.delete(alive.keys().next().value!);
}

/** Forgets a VM (its delete finished in this instance). */
export function forgetLiveVm(name: string): void {
  alive.delete(name);
}
