// The emulator's world: resource groups and the resources in them, keyed case-insensitively as ARM
// does, with the exact casing the caller first used kept for ids and names.

export type Json = Record<string, unknown>;

export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  provisioningState: 'Succeeded' | 'Deleting';
}

export interface ResourceRecord {
  subscriptionId: string;
  resourceGroup: string;
  /** Full type, e.g. `Microsoft.Network/virtualNetworks`. */
  type: string;
  name: string;
  location: string;
  /** The ARM representation served on GET (id, name, type, location, tags, sku, properties…). */
  body: Json;
  /** Private to the emulator (never served): power state, boot ids, secrets such as customData. */
  internal: Json;
  /** Set while a long-running operation works on the resource (its name, e.g. 'create', 'start'). */
  busy?: string;
  /** The id of that operation: its completion applies only to the record it started on. */
  op?: string;
}

export const groupId = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;

export const resourceId = (sub: string, rg: string, type: string, name: string) =>
  `${groupId(sub, rg)}/providers/${type}/${name}`;

const key = (s: string) => s.toLowerCase();

export class ArmState {
  readonly groups = new Map<string, ResourceGroupRecord>();
  readonly resources = new Map<string, ResourceRecord>();

  group(sub: string, rg: string): ResourceGroupRecord | undefined {
    return this.groups.get(key(groupId(sub, rg)));
  }

  putGroup(g: ResourceGroupRecord): void {
    this.groups.set(key(groupId(g.subscriptionId, g.name)), g);
  }

  deleteGroup(sub: string, rg: string): void {
    for (const r of this.inGroup(sub, rg)) this.resources.delete(key(this.idOf(r)));
    this.groups.delete(key(groupId(sub, rg)));
  }

  idOf(r: ResourceRecord): string {
    return resourceId(r.subscriptionId, r.resourceGroup, r.type, r.name);
  }

  get(id: string): ResourceRecord | undefined {
    return this.resources.get(key(id));
  }

  find(sub: string, rg: string, type: string, name: string): ResourceRecord | undefined {
    return this.get(resourceId(sub, rg, type, name));
  }

  put(r: ResourceRecord): void {
    this.resources.set(key(this.idOf(r)), r);
  }

  delete(id: string): void {
    this.resources.delete(key(id));
  }

  inGroup(sub: string, rg: string): ResourceRecord[] {
    const prefix = key(`${groupId(sub, rg)}/providers/`);
    return [...this.resources.entries()].filter(([k]) => k.startsWith(prefix)).map(([, r]) => r);
  }

  ofType(type: string): ResourceRecord[] {
    return [...this.resources.values()].filter((r) => key(r.type) === key(type));
  }

  reset(): void {
    this.groups.clear();
    this.resources.clear();
  }

  /** What GET /_emulator/state shows: everything, including the internal fields. */
  snapshot(): Json {
    return {
      resourceGroups: [...this.groups.values()],
      resources: [...this.resources.values()].map((r) => ({
        ...r.body,
        busy: r.busy ?? null,
        internal: r.internal,
      })),
    };
  }
}
