// Microsoft.Resources: resource groups (PUT/PATCH/GET/HEAD/DELETE, list) and the resources list of a
// group. DELETE is a long-running operation (202 + Location) that removes everything inside.
import type { ArmResponse, HandlerContext, World } from '../context';
import { ArmError, conflict, resourceGroupNotFound } from '../errors';
import { paged } from '../paging';
import { groupId, type Json, type ResourceGroupRecord, type ResourceRecord } from '../state';
import { location, tags } from './common';
import { VM } from './compute';

const present = (g: ResourceGroupRecord) => ({
  id: groupId(g.subscriptionId, g.name),
  name: g.name,
  type: 'Microsoft.Resources/resourceGroups',
  location: g.location,
  ...(g.tags ? { tags: g.tags } : {}),
  properties: { provisioningState: g.provisioningState },
});

export function checkGroupName(name: string): void {
  if (!/^[-\w.()]{1,90}$/u.test(name) || name.endsWith('.')) {
    throw new ArmError(
      400,
      'InvalidResourceGroupName',
      `The resource group name '${name}' is invalid. It can be up to 90 characters long, may contain letters, digits, underscores, periods, hyphens and parentheses, and cannot end with a period.`,
    );
  }
}

/**
 * `$filter` of a resource group list, as ARM takes it: `tagName eq 'n'` or
 * `tagName eq 'n' and tagValue eq 'v'` (tag names case-insensitive, values exact); anything else → 400.
 */
function tagFilter(filter: string | null): (g: ResourceGroupRecord) => boolean {
  if (!filter) return () => true;
  const m = /^\s*tagName\s+eq\s+'((?:[^']|'')*)'(?:\s+and\s+tagValue\s+eq\s+'((?:[^']|'')*)')?\s*$/i.exec(
    filter,
  );
  if (!m) {
    throw new ArmError(
      400,
      'InvalidFilterInQueryString',
      `Invalid $filter '${filter}' specified in the query string. Supported: tagName eq '<name>' [and tagValue eq '<value>'].`,
    );
  }
  const name = m[1]!.replaceAll("''", "'").toLowerCase();
  const value = m[2]?.replaceAll("''", "'");
  return (g) =>
    Object.entries(g.tags ?? {}).some(
      ([k, v]) => k.toLowerCase() === name && (value === undefined || v === value),
    );
}

export function getGroup(ctx: HandlerContext): ResourceGroupRecord {
  const g = ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup);
  if (!g) throw resourceGroupNotFound(ctx.resourceGroup);
  return g;
}

export const resourceGroups = {
  list: (ctx: HandlerContext): ArmResponse => {
    const byTag = tagFilter(ctx.url.searchParams.get('$filter'));
    const value = [...ctx.world.state.groups.values()]
      .filter((g) => g.subscriptionId.toLowerCase() === ctx.subscriptionId.toLowerCase())
      .filter(byTag)
      .map(present);
    return paged(ctx, value);
  },
  get: (ctx: HandlerContext): ArmResponse => {
    return { status: 200, body: present(getGroup(ctx)) };
  },
  head: (ctx: HandlerContext): ArmResponse => {
    return { status: ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup) ? 204 : 404 };
  },
  put: (ctx: HandlerContext): ArmResponse => {
    checkGroupName(ctx.resourceGroup);
    const existing = ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup);
    const loc = location(ctx.body, 'Microsoft.Resources/resourceGroups');
    if (existing?.provisioningState === 'Deleting') {
      throw conflict(
        'ResourceGroupBeingDeleted',
        `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`,
      );
    }
    if (existing && existing.location !== loc) {
      throw conflict(
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${loc}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const g: ResourceGroupRecord = {
      subscriptionId: ctx.subscriptionId,
      name: existing?.name ?? ctx.resourceGroup,
      location: loc,
      ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
      provisioningState: 'Succeeded',
    };
    ctx.world.state.putGroup(g);
    return { status: existing ? 200 : 201, body: present(g) };
  },
  patch: (ctx: HandlerContext): ArmResponse => {
    const g = getGroup(ctx);
    const t = tags(ctx.body);
    if (t) g.tags = t;
    return { status: 200, body: present(g) };
  },
  delete: (ctx: HandlerContext): ArmResponse => {
    const { state, ops } = ctx.world;
    const g = state.group(ctx.subscriptionId, ctx.resourceGroup);
    if (!g) throw resourceGroupNotFound(ctx.resourceGroup);
    if (g.provisioningState === 'Deleting') {
      // Deleting again while a delete runs is accepted, as ARM does: it joins the running deletion.
    }
    g.provisioningState = 'Deleting';
    for (const r of state.inGroup(g.subscriptionId, g.name)) r.busy = 'delete';
    const op = ops.start({
      provider: 'Microsoft.Resources',
      subscriptionId: g.subscriptionId,
      location: g.location,
      task: { kind: 'groupDelete', subscriptionId: g.subscriptionId, name: g.name },
    });
    return { status: 202, headers: ops.headers(ctx.world.endpoint(), op, 'delete') };
  },
  resources: (ctx: HandlerContext): ArmResponse => {
    const g = getGroup(ctx);
    return paged(ctx, ctx.world.state.inGroup(g.subscriptionId, g.name).map(genericResource(ctx)));
  },
  /** GET /subscriptions/S/resources: every resource of the subscription (`az resource list`). */
  subscriptionResources: (ctx: HandlerContext): ArmResponse =>
    paged(
      ctx,
      [...ctx.world.state.resources.values()]
        .filter((r) => r.subscriptionId.toLowerCase() === ctx.subscriptionId.toLowerCase())
        .map(genericResource(ctx)),
    ),
};

const genericResource =
  (ctx: HandlerContext) =>
  (r: ResourceRecord): Json => ({
    id: ctx.world.state.idOf(r),
    name: r.name,
    type: r.type,
    location: r.location,
    ...(r.body.tags ? { tags: r.body.tags } : {}),
    ...(r.body.sku ? { sku: r.body.sku } : {}),
    ...(r.body.managedBy ? { managedBy: r.body.managedBy } : {}),
  });

/** The end of a resource group DELETE: its VMs' guests stop and everything inside goes with it. */
export async function completeGroupDelete(world: World, subscriptionId: string, name: string): Promise<void> {
  const { state, guests } = world;
  const vms = state.inGroup(subscriptionId, name).filter((r) => r.type === VM);
  await Promise.all(vms.map((vm) => guests.stop(state.idOf(vm))));
  state.deleteGroup(subscriptionId, name);
}
