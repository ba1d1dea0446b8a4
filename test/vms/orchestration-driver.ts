// Runs an orchestrator function without a Durable engine: each task it yields is handed to `answer`,
// which returns the task's result (or throws its failure); timers advance the orchestration clock.
// Custom statuses are kept with the task they preceded, so a test can check what the orchestration
// claimed while a given activity was in flight.
import type { OrchestrationContext } from 'durable-functions';

export type FakeTask =
  | { type: 'activity'; name: string; input: unknown }
  | { type: 'timer'; fireAt: Date }
  | { type: 'all'; tasks: FakeTask[] };

export interface Yielded {
  task: FakeTask;
  /** The custom status set most recently before this task was yielded. */
  status: unknown;
}

export interface DriveResult {
  output: unknown;
  yielded: Yielded[];
  statuses: unknown[];
}

export function drive(
  orchestrator: (context: OrchestrationContext) => Generator<unknown, unknown, unknown>,
  input: unknown,
  answer: (task: FakeTask & { type: 'activity' }, now: Date) => unknown,
  start = new Date('2026-01-01T00:00:00.000Z'),
): DriveResult {
  let now = start;
  const statuses: unknown[] = [];
  const activity = (name: string, ...rest: unknown[]): FakeTask => ({
    type: 'activity',
    name,
    input: rest.at(-1),
  });
  const context = {
    df: {
      instanceId: 'vm1:1',
      isReplaying: false,
      get currentUtcDateTime() {
        return now;
      },
      getInput: () => input,
      setCustomStatus: (s: unknown) => statuses.push(structuredClone(s)),
      callActivity: activity,
      callActivityWithRetry: (name: string, _retry: unknown, i: unknown) => activity(name, i),
      createTimer: (fireAt: Date): FakeTask => ({ type: 'timer', fireAt }),
      Task: { all: (tasks: FakeTask[]): FakeTask => ({ type: 'all', tasks }) },
    },
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as unknown as OrchestrationContext;

  const yielded: Yielded[] = [];
  const gen = orchestrator(context);
  const run = (t: FakeTask): unknown => {
    if (t.type === 'timer') {
      if (t.fireAt > now) now = t.fireAt;
      return undefined;
    }
    if (t.type === 'all') return t.tasks.map(run);
    return answer(t, now);
  };
  let step = gen.next();
  while (!step.done) {
    const task = step.value as FakeTask;
    yielded.push({ task, status: statuses.at(-1) });
    let result: unknown;
    try {
      result = run(task);
    } catch (e) {
      step = gen.throw(e);
      continue;
    }
    step = gen.next(result);
  }
  return { output: step.value, yielded, statuses };
}
