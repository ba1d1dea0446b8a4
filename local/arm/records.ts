// The record of every request served, with the RBAC action ARM checks for it. Linked checks (join on a
// referenced subnet/NSG/public IP/NIC, deletes done through deleteOption) are recorded as extra entries
// with `linked: true`, so that collecting `rbacAction` over all records gives a complete least-privilege
// action list.

export interface ArmOperationRecord {
  method: string;
  path: string;
  apiVersion: string | null;
  resourceType: string | null;
  rbacAction: string | null;
  status: number;
  linked?: true;
  at: string;
}

export class Records {
  private readonly list: ArmOperationRecord[] = [];
  private static readonly MAX = 100_000;

  add(r: Omit<ArmOperationRecord, 'at'>, linked: string[]): void {
    const at = new Date().toISOString();
    this.list.push({ ...r, at });
    for (const action of new Set(linked)) this.list.push({ ...r, rbacAction: action, linked: true, at });
    if (this.list.length > Records.MAX) this.list.splice(0, this.list.length - Records.MAX);
  }

  all(): ArmOperationRecord[] {
    return this.list.map((r) => ({ ...r }));
  }

  clear(): void {
    this.list.length = 0;
  }
}
