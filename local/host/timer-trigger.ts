// Timer triggers: six-field NCRONTAB (seconds first) through croner, or a TimeSpan interval,
// with runOnStartup and isPastDue as the host computes them.
import { Cron } from 'croner';

import { parseTimeSpan } from './host-json';
import type { LogSink } from './logger';
import { type AppSettings, resolveSetting } from './settings';
import type { FunctionInfo, InvokeRequest, InvokeResult } from './types';

/** A run later than this after its scheduled time counts as past due. */
const PAST_DUE_MS = 1000;

export class TimerListener {
  #cron: Cron | undefined;
  #interval: NodeJS.Timeout | undefined;
  #last: Date | undefined;
  readonly schedule: string;

  constructor(
    private readonly reg: FunctionInfo,
    private readonly invoke: (req: InvokeRequest) => Promise<InvokeResult>,
    private readonly log: LogSink,
    appSettings: AppSettings,
  ) {
    this.schedule = resolveSetting(String(reg.trigger.schedule), appSettings);
  }

  start(): void {
    if (/^\d+(\.\d+)?:\d{2}:\d{2}/.test(this.schedule) || /^\d{1,2}:\d{2}:\d{2}$/.test(this.schedule)) {
      const every = parseTimeSpan(this.schedule, 0);
      if (every <= 0) throw new Error(`Timer "${this.reg.name}": TimeSpan schedule must be positive.`);
      this.#interval = setInterval(() => void this.#fire(new Date()), every);
    } else {
      const fields = this.schedule.trim().split(/\s+/);
      if (fields.length !== 6) {
        throw new Error(
          `Timer "${this.reg.name}": "${this.schedule}" is not a six-field NCRONTAB expression.`,
        );
      }
      this.#cron = new Cron(this.schedule, { protect: true }, (self: Cron) => {
        const scheduled = self.currentRun() ?? new Date();
        return this.#fire(scheduled);
      });
    }
    if (this.reg.trigger.runOnStartup === true) void this.#fire(new Date());
  }

  stop(): void {
    this.#cron?.stop();
    if (this.#interval) clearInterval(this.#interval);
  }

  async #fire(scheduled: Date): Promise<void> {
    const now = new Date();
    const next = this.#cron?.nextRun() ?? null;
    const input = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (this.#last ?? new Date(0)).toISOString(),
        Next: next?.toISOString() ?? null,
        LastUpdated: now.toISOString(),
      },
      IsPastDue: now.getTime() - scheduled.getTime() > PAST_DUE_MS,
    };
    this.#last = now;
    try {
      await this.invoke({ functionName: this.reg.name, triggerData: { json: JSON.stringify(input) } });
    } catch (e) {
      this.log({
        time: new Date(),
        level: 'error',
        category: 'system',
        functionName: this.reg.name,
        message: `Timer invocation failed: ${(e as Error).message}`,
      });
    }
  }
}
