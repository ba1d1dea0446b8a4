// Commands on the queue (COMMAND_QUEUE_NAME): one per accepted request. The queue function turns a
// command into an orchestration whose instance id derives from the VM name and the command's `seq`,
// so a redelivered message finds its instance and does nothing twice.
import { z } from 'zod';

import type { Services } from '../services';
import { currentTraceparent } from '../telemetry/trace-context';
import { VM_COMMANDS } from './status';

export const commandSchema = z.object({
  v: z.literal(1),
  name: z.string().min(1).max(63),
  kind: z.enum(VM_COMMANDS),
  seq: z.number().int().positive(),
  requestId: z.string().min(1).max(200),
  /** W3C traceparent of the request that queued the command: the queue function continues its trace. */
  traceparent: z.string().max(55).optional(),
});

export type VmCommand = z.output<typeof commandSchema>;

/** Enqueues a command (base64, as queue triggers expect by default). */
export async function enqueueCommand(services: Services, cmd: VmCommand): Promise<void> {
  const q = await services.queue(services.config.COMMAND_QUEUE_NAME);
  const traceparent = cmd.traceparent ?? currentTraceparent();
  const message = traceparent ? { ...cmd, traceparent } : cmd;
  await q.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
}

/** A queue message (already decoded by the trigger) as a command, or undefined if it is not one. */
export function parseCommand(message: unknown): VmCommand | undefined {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const r = commandSchema.safeParse(value);
  return r.success ? r.data : undefined;
}
