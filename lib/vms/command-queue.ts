// The command queue's handlers: each message starts the orchestration for one accepted command. The instance id
// derives from the VM name and the command's seq, so a redelivered message finds the instance and
// does nothing twice. Messages that fail 5 times land in `<queue>-poison`: the VM is then `failed`.
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';

import { appendEvent } from '../events/store';
import { orchestratorFor, type VmOrchestrationInput } from '../provisioning/orchestrator';
import type { Services } from '../services';
import { parseCommand, type VmCommand } from './commands';
import { instanceIdFor } from './names';
import { specOf, toApiVm, type VmRecord } from './record';
import { isTransitional, transition } from './status';
import { getVm, NoChange, updateVm } from './store';

async function instanceExists(client: DurableClient, instanceId: string): Promise<boolean> {
  try {
    await client.getStatus(instanceId);
    return true;
  } catch (e) {
    if (/HTTP 404/.test((e as Error).message)) return false;
    throw e;
  }
}

export const handleVmCommand =
  (services: Services) =>
  async (message: unknown, context: InvocationContext): Promise<void> => {
    const cmd = parseCommand(message);
    if (!cmd) {
      context.warn('Ignoring a message that is not a VM command.');
      return;
    }
    const client = df.getClient(context);
    const instanceId = instanceIdFor(cmd.name, cmd.seq);
    const stored = await getVm(services, cmd.name);
    if (!stored || stored.record.seq !== cmd.seq) {
      context.warn(`Command ${cmd.kind} #${cmd.seq} for ${cmd.name} was superseded; ignored.`);
      return;
    }
    // Once the orchestration has recorded progress or an outcome, a redelivered message has nothing to
    // do (and starting a completed instance id again would run the command twice).
    if (stored.record.status !== transition(cmd.kind).pending) return;
    const { seq, requestId } = stored.record;
    const input: VmOrchestrationInput = { kind: cmd.kind, seq, requestId, spec: specOf(stored.record) };
    try {
      await client.startNew(orchestratorFor(cmd.kind), { instanceId, input });
    } catch (e) {
      // Still pending but already started (redelivered before its first record write), or a concurrent
      // delivery won the race: the instance exists.
      if (await instanceExists(client, instanceId)) return;
      throw e;
    }
  };

/** A command that could not be started: the VM must not stay in its pending status forever. */
export const handlePoisonCommand =
  (services: Services) =>
  async (message: unknown, context: InvocationContext): Promise<void> => {
    const cmd: VmCommand | undefined = parseCommand(message);
    if (!cmd) return;
    context.error(
      `Command ${cmd.kind} #${cmd.seq} for ${cmd.name} failed repeatedly; marking the VM failed.`,
    );
    const record: VmRecord | undefined = await updateVm(services, cmd.name, (r) => {
      if (r.seq !== cmd.seq || !isTransitional(r.status)) throw new NoChange();
      r.status = 'failed';
      r.updatedAt = new Date(services.clock.now()).toISOString();
      r.provisioning.error = {
        code: 'CommandFailed',
        message: `The ${cmd.kind} command could not be processed (moved to the poison queue after repeated failures).`,
      };
      return r;
    });
    if (record?.seq === cmd.seq && record.status === 'failed') {
      await appendEvent(services, 'failed', record.name, toApiVm(record), {
        dedupeKey: `${cmd.requestId}/poison`,
      });
    }
  };
