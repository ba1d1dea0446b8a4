// What one episode adds to an instance: the history events it appends (applied to the execution state
// as they go), the scheduled work to start once they are committed, and the inbox rows to delete.
import type { ExecutionState } from './execution-state';
import { event, type EventType, type HistoryEvent } from './history';

export class Episode {
  /** History length before the episode: what storage already holds. */
  readonly startLength: number;
  readonly newEvents: HistoryEvent[] = [];
  /** Scheduling events whose work starts after the commit. */
  readonly toDispatch: HistoryEvent[] = [];
  /** Inbox rows the commit deletes. */
  readonly consumed: string[] = [];

  constructor(
    private readonly inst: { history: HistoryEvent[]; state: ExecutionState },
    readonly now: Date,
  ) {
    this.startLength = inst.history.length;
  }

  append(e: HistoryEvent): void {
    this.inst.history.push(e);
    this.inst.state.apply(e);
    this.newEvents.push(e);
  }

  /** Appends a scheduling event with the next sequence number; its work starts after the commit. */
  allocate(type: EventType, fields: Partial<HistoryEvent>): HistoryEvent {
    const e = event(type, { ...fields, EventId: this.inst.state.nextSeq }, this.now);
    this.append(e);
    this.toDispatch.push(e);
    return e;
  }
}
