// What a long-running operation does when it completes, as plain data rather than a closure: operations
// in flight are persisted with their task and resumed after a restart, as ARM finishes them server-side.
import type { World } from './context';
import type { ArmErrorBody } from './errors';
import { completeDiskDelete, completeVmDelete, completeVmPower, completeVmPut } from './resources/compute';
import { completeDelete, completePut } from './resources/lifecycle';
import { completeGroupDelete } from './resources/resourceGroups';

export type GuestChange = 'boot' | 'stop' | 'reboot';

export type Task =
  /** End of a PUT: provisioningState Succeeded (or Failed); `vm` for the VM specifics. */
  | { kind: 'put'; id: string; vm?: { boot: boolean; failure?: ArmErrorBody } }
  | { kind: 'delete'; id: string }
  | { kind: 'vmDelete'; id: string }
  | { kind: 'diskDelete'; id: string }
  | {
      kind: 'vmPower';
      id: string;
      before: string;
      after: string;
      guest: GuestChange;
      failure?: ArmErrorBody;
    }
  | { kind: 'groupDelete'; subscriptionId: string; name: string };

/** Applies a task when its operation completes; an error body makes the operation fail. */
export async function runTask(world: World, task: Task, opId: string): Promise<ArmErrorBody | void> {
  switch (task.kind) {
    case 'put': {
      const vm = task.vm;
      return completePut(world, task.id, opId, vm ? (r) => completeVmPut(world, r, vm) : undefined);
    }
    case 'delete':
      return completeDelete(world, task.id, opId);
    case 'vmDelete':
      return completeVmDelete(world, task.id, opId);
    case 'diskDelete':
      return completeDiskDelete(world, task.id, opId);
    case 'vmPower':
      return completeVmPower(world, task, opId);
    case 'groupDelete':
      return completeGroupDelete(world, task.subscriptionId, task.name);
  }
}
