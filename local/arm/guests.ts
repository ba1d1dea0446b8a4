// Simulated guests. When a VM reaches running, the emulator "boots" it: a new boot id and the decoded
// customData go to the onGuestBoot hook (the agent plugs in there and runs the real cloud-init payload).
// Power off, deallocate, restart and delete stop the guest first; start and restart boot it again.
import { randomUUID } from 'node:crypto';

export interface GuestInfo {
  subscriptionId: string;
  resourceGroup: string;
  vmName: string;
  vmId: string;
  bootId: string;
  customData: string;
  computerName: string;
  adminUsername: string;
  publicIp: string | null;
  privateIp: string | null;
}

export interface GuestHandle {
  stop(): Promise<void>;
}

export type GuestBootHook = (guest: GuestInfo) => GuestHandle | Promise<GuestHandle>;

interface RunningGuest {
  info: GuestInfo;
  handle?: GuestHandle;
  bootedAt: string;
}

export class Guests {
  private readonly running = new Map<string, RunningGuest>();
  readonly history: Array<{ vmId: string; bootId: string; event: 'boot' | 'stop'; at: string }> = [];

  constructor(
    private readonly hook: GuestBootHook | undefined,
    private readonly onError: (e: unknown) => void,
  ) {}

  async boot(info: Omit<GuestInfo, 'bootId'>): Promise<GuestInfo> {
    await this.stop(info.vmId);
    const guest: GuestInfo = { ...info, bootId: randomUUID().replaceAll('-', '') };
    const entry: RunningGuest = { info: guest, bootedAt: new Date().toISOString() };
    this.running.set(info.vmId.toLowerCase(), entry);
    this.history.push({ vmId: info.vmId, bootId: guest.bootId, event: 'boot', at: entry.bootedAt });
    if (this.hook) {
      try {
        entry.handle = await this.hook(guest);
      } catch (e) {
        this.onError(e); // a broken guest hook must not fail the ARM operation, as a bad image would not
      }
    }
    return guest;
  }

  async stop(vmId: string): Promise<void> {
    const key = vmId.toLowerCase();
    const entry = this.running.get(key);
    if (!entry) return;
    this.running.delete(key);
    this.history.push({ vmId, bootId: entry.info.bootId, event: 'stop', at: new Date().toISOString() });
    try {
      await entry.handle?.stop();
    } catch (e) {
      this.onError(e);
    }
  }

  get(vmId: string): GuestInfo | undefined {
    return this.running.get(vmId.toLowerCase())?.info;
  }

  list(): Array<GuestInfo & { bootedAt: string }> {
    return [...this.running.values()].map((g) => ({ ...g.info, bootedAt: g.bootedAt }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((g) => this.stop(g.info.vmId)));
    this.history.length = 0;
  }
}
