// "Does this VM exist?" for the journal's read routes (a VM that was never created, or was deleted,
// answers 404). A VM seen alive is remembered for a few seconds so that a busy dashboard's queries do
// not each pay a point read; a missing one is never remembered (it may be created the next moment).
import { notFound } from '../errors';
import type { Services } from '../services';
import { getVm } from './store';

const ALIVE_TTL_MS = 5_000;
const MAX_REMEMBERED = 1_000;
const ALIVE = Symbol('vms.alive');
const alive = (services: Services) => services.state(ALIVE, () => new Map<string, number>());

/** Throws the 404 unless a VM of this name exists and is not deleted. */
export async function requireLiveVm(services: Services, name: string): Promise<void> {
  const seenAlive = alive(services);
  const nowMs = services.clock.now();
  const seen = seenAlive.get(name);
  if (seen !== undefined && nowMs - seen < ALIVE_TTL_MS) return;
  const stored = await getVm(services, name);
  if (!stored || stored.record.status === 'deleted') {
    seenAlive.delete(name);
    throw notFound(
      stored ? `No VM named '${name}' (it was deleted with its journal).` : `No VM named '${name}'.`,
    );
  }
  seenAlive.delete(name);
  seenAlive.set(name, nowMs);
  if (seenAlive.size > MAX_REMEMBERED) seenAlive.delete(seenAlive.keys().next().value!);
}

/** Forgets a VM (its delete finished in this app instance). */
export function forgetLiveVm(services: Services, name: string): void {
  alive(services).delete(name);
}
