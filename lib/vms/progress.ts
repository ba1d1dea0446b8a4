// What orchestrations write back: the record's status, steps and addresses, and lifecycle events.
// Applied only while the record still belongs to the orchestration's command (same `seq`), so a stale
// or replayed orchestration never overwrites a newer command's state. Events carry dedupe keys, so an
// activity that is retried appends each event once.
import { appendEvents } from '../events/store';
import type { EventKind } from '../events/types';
import type { Services } from '../services';
import { recordStepDurations, stepsEnded } from '../telemetry/metrics';
import { type Provisioning, toApiVm, type VmRecord } from './record';
import type { VmStatus } from './status';
import { NoChange, updateVm } from './store';

export interface ProgressEvent {
  kind: EventKind;
  /** Unique within the orchestration instance (with the instance id it forms the dedupe key). */
  key: string;
  /** Event data; the updated record when omitted. */
  data?: unknown;
}

export interface ProgressUpdate {
  name: string;
  seq: number;
  instanceId: string;
  /** Orchestration time of the change (deterministic). */
  at: string;
  status?: VmStatus;
  provisioning?: Provisioning;
  publicIp?: string | null;
  privateIp?: string | null;
  events?: ProgressEvent[];
}

export async function applyProgress(services: Services, u: ProgressUpdate): Promise<VmRecord | undefined> {
  let ended: ReturnType<typeof stepsEnded> = []; // the steps this write ends (a retried write: none)
  const record = await updateVm(services, u.name, (r) => {
    if (r.seq !== u.seq) throw new NoChange();
    ended = stepsEnded(r.provisioning, u.provisioning);
    if (u.status) r.status = u.status;
    if (u.provisioning) r.provisioning = u.provisioning;
    if (u.publicIp !== undefined) r.publicIp = u.publicIp;
    if (u.privateIp !== undefined) r.privateIp = u.privateIp;
    r.updatedAt = u.at;
    return r;
  });
  if (!record || record.seq !== u.seq) return record;
  recordStepDurations(ended, record.operation);
  await appendEvents(
    services,
    (u.events ?? []).map((e) => ({
      kind: e.kind,
      subject: u.name,
      data: e.data ?? toApiVm(record),
      opts: { dedupeKey: `${u.instanceId}/${e.key}`, time: u.at },
    })),
  );
  return record;
}
