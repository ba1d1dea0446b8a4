// Durable timers in memory: each TimerCreated in history is armed with setTimeout (re-armed from history
// after a restart; one already due fires at once). setTimeout cannot wait more than ~24.8 days, so
// long timers are re-armed in steps.
const MAX_DELAY_MS = 2_147_000_000;

export class TimerService {
  private readonly handles = new Map<string, NodeJS.Timeout>();

  arm(key: string, fireAt: Date, fire: () => void): void {
    this.cancel(key);
    const step = () => {
      const left = fireAt.getTime() - Date.now();
      if (left <= 0) {
        this.handles.delete(key);
        fire();
        return;
      }
      const handle = setTimeout(step, Math.min(left, MAX_DELAY_MS));
      handle.unref();
      this.handles.set(key, handle);
    };
    step();
  }

  cancel(key: string): void {
    const h = this.handles.get(key);
    if (h) clearTimeout(h);
    this.handles.delete(key);
  }

  cancelPrefix(prefix: string): void {
    for (const key of [...this.handles.keys()]) if (key.startsWith(prefix)) this.cancel(key);
  }

  dispose(): void {
    for (const h of this.handles.values()) clearTimeout(h);
    this.handles.clear();
  }
}
