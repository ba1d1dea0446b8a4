// Maps an ARM request path to its handler, the resource type it concerns and the RBAC action ARM
// checks for it (Microsoft.Network/virtualNetworks/write, …/virtualMachines/start/action…). Path
// segments match case-insensitively, as ARM's do.
import { checkApiVersion } from './apiVersions';
import type { ArmResponse, HandlerContext } from './context';
import { ArmError, methodNotAllowed, noRouteFound, resourceGroupNotFound, resourceNotFound } from './errors';
import { paged } from './paging';
import { providers } from './providers';
import type { ResourceType } from './resources/common';
import { computeTypes } from './resources/compute';
import { networkTypes } from './resources/network';
import { checkGroupName, getGroup, resourceGroups } from './resources/resourceGroups';
import { listSkus } from './resources/skus';

export interface Route {
  resourceType: string;
  rbacAction: string;
  /** Checks the api-version; operation status URLs carry the one we issued and skip it. */
  apiNamespace?: string;
  apiType?: string;
  subscriptionId: string;
  resourceGroup: string;
  handle(ctx: HandlerContext): ArmResponse | Promise<ArmResponse>;
}

const types = new Map<string, ResourceType>(
  [...networkTypes, ...computeTypes].map((t) => [t.type.toLowerCase(), t]),
);

const RG = 'Microsoft.Resources/subscriptions/resourceGroups';

const verb = (method: string) =>
  method === 'PUT' || method === 'PATCH' ? 'write' : method === 'DELETE' ? 'delete' : 'read';

export function route(method: string, path: string): Route {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  const lc = seg.map((s) => s.toLowerCase());
  if (lc[0] !== 'subscriptions' || !seg[1]) throw noRouteFound(path);
  const sub = seg[1];
  const base = { subscriptionId: sub, resourceGroup: '' };

  // /subscriptions/S/resourcegroups[/G[/resources]]
  if (lc[2] === 'resourcegroups') {
    const rg = seg[3];
    if (!rg) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        ...base,
        resourceType: 'Microsoft.Resources/resourceGroups',
        rbacAction: `${RG}/read`,
        apiNamespace: 'Microsoft.Resources',
        handle: resourceGroups.list,
      };
    }
    const inGroup = { ...base, resourceGroup: rg };
    if (seg.length === 4) {
      const handlers: Record<string, (ctx: HandlerContext) => ArmResponse> = {
        GET: resourceGroups.get,
        HEAD: resourceGroups.head,
        PUT: resourceGroups.put,
        PATCH: resourceGroups.patch,
        DELETE: resourceGroups.delete,
      };
      const h = handlers[method];
      if (!h) throw methodNotAllowed(method);
      return {
        ...inGroup,
        resourceType: 'Microsoft.Resources/resourceGroups',
        rbacAction: `${RG}/${verb(method)}`,
        apiNamespace: 'Microsoft.Resources',
        handle: h,
      };
    }
    if (seg.length === 5 && lc[4] === 'resources') {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        ...inGroup,
        resourceType: 'Microsoft.Resources/resources',
        rbacAction: `${RG}/resources/read`,
        apiNamespace: 'Microsoft.Resources',
        handle: resourceGroups.resources,
      };
    }
    if (lc[4] === 'providers' && seg.length >= 7) return resourceRoute(method, path, seg, inGroup);
    throw noRouteFound(path);
  }

  // /subscriptions/S/resources: every resource in the subscription.
  if (lc[2] === 'resources' && seg.length === 3) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return {
      ...base,
      resourceType: 'Microsoft.Resources/resources',
      rbacAction: 'Microsoft.Resources/subscriptions/resources/read',
      apiNamespace: 'Microsoft.Resources',
      handle: resourceGroups.subscriptionResources,
    };
  }

  // /subscriptions/S/operationresults/ID (resource group deletion)
  if (lc[2] === 'operationresults' && seg[3] && seg.length === 4) {
    const id = seg[3];
    return {
      ...base,
      resourceType: 'Microsoft.Resources/operationresults',
      rbacAction: 'Microsoft.Resources/subscriptions/operationresults/read',
      handle: (ctx) => locationResult(ctx, id),
    };
  }

  // /subscriptions/S/providers: the registration state of the namespaces the emulator serves.
  if (lc[2] === 'providers' && seg.length === 3) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return {
      ...base,
      resourceType: 'Microsoft.Resources/providers',
      rbacAction: 'Microsoft.Resources/subscriptions/providers/read',
      apiNamespace: 'Microsoft.Resources',
      handle: providers.list,
    };
  }

  // /subscriptions/S/providers/NS/...
  if (lc[2] === 'providers' && seg[3]) {
    const ns = seg[3];
    // GET …/providers/NS (registration state) and POST …/providers/NS/register.
    if (seg.length === 4 || (seg.length === 5 && lc[4] === 'register')) {
      const register = seg.length === 5;
      if (method !== (register ? 'POST' : 'GET')) throw methodNotAllowed(method);
      return {
        ...base,
        resourceType: 'Microsoft.Resources/providers',
        rbacAction: register ? `${ns}/register/action` : 'Microsoft.Resources/subscriptions/providers/read',
        apiNamespace: 'Microsoft.Resources',
        handle: register ? providers.register(ns) : providers.get(ns),
      };
    }
    if (lc[3] === 'microsoft.compute' && lc[4] === 'skus' && seg.length === 5) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        ...base,
        resourceType: 'Microsoft.Compute/skus',
        rbacAction: 'Microsoft.Compute/skus/read',
        apiNamespace: 'Microsoft.Compute',
        apiType: 'skus',
        handle: listSkus,
      };
    }
    // GET …/providers/NS/TYPE: every resource of the type in the subscription (virtualMachines.listAll…).
    const t = seg.length === 5 ? types.get(`${ns}/${seg[4]}`.toLowerCase()) : undefined;
    if (t) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        ...base,
        resourceType: t.type,
        rbacAction: `${t.type}/read`,
        apiNamespace: ns,
        apiType: seg[4],
        handle: (ctx) =>
          paged(
            ctx,
            ctx.world.state
              .ofType(t.type)
              .filter((r) => r.subscriptionId.toLowerCase() === ctx.subscriptionId.toLowerCase())
              .map((r) => t.present(ctx, r)),
          ),
      };
    }
    // …/locations/L/operations/ID (status) and …/locations/L/operationResults/ID (result)
    if (
      lc[4] === 'locations' &&
      seg.length === 8 &&
      (lc[6] === 'operations' || lc[6] === 'operationresults')
    ) {
      if (method !== 'GET') throw methodNotAllowed(method);
      const id = seg[7]!;
      const isStatus = lc[6] === 'operations';
      const monitor = lc[3] === 'microsoft.compute' && isStatus;
      const kind = isStatus ? 'operations' : 'operationResults';
      return {
        ...base,
        resourceType: `${ns}/locations/${kind}`,
        rbacAction: `${ns}/locations/${kind}/read`,
        handle: (ctx) =>
          monitor && ctx.url.searchParams.get('monitor') === 'true'
            ? locationResult(ctx, id)
            : isStatus
              ? operationStatus(ctx, id)
              : locationResult(ctx, id),
      };
    }
  }
  throw noRouteFound(path);
}

function resourceRoute(
  method: string,
  path: string,
  seg: string[],
  groupBase: { subscriptionId: string; resourceGroup: string },
): Route {
  const [ns, typeName, name, sub1, sub2] = seg.slice(5);
  // Types with their own api-version (disks) are checked against it.
  const base = { ...groupBase, apiType: typeName };
  const fullType = `${ns}/${typeName}`;
  const t = types.get(fullType.toLowerCase());
  const apiNamespace = ns!;
  if (!t) {
    throw new ArmError(
      400,
      'InvalidResourceType',
      `The resource type '${typeName}' could not be found in the namespace '${ns}' for api version '…'.`,
    );
  }
  const T = t.type;
  const withRecord = (ctx: HandlerContext) => {
    const g = getGroup(ctx);
    const r = ctx.world.state.find(ctx.subscriptionId, g.name, T, name!);
    if (!r) throw resourceNotFound(T, name!, g.name);
    return r;
  };
  // List in the group: GET …/providers/NS/TYPE
  if (!name) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return {
      ...base,
      resourceType: T,
      rbacAction: `${T}/read`,
      apiNamespace,
      handle: (ctx) => {
        const g = getGroup(ctx);
        const value = ctx.world.state
          .inGroup(ctx.subscriptionId, g.name)
          .filter((r) => r.type === T)
          .map((r) => t.present(ctx, r));
        return paged(ctx, value);
      },
    };
  }
  // The resource itself.
  if (!sub1) {
    if (method === 'GET')
      return {
        ...base,
        resourceType: T,
        rbacAction: `${T}/read`,
        apiNamespace,
        handle: (ctx) => ({ status: 200, body: t.present(ctx, withRecord(ctx)) }),
      };
    if (method === 'PUT' && t.put) {
      const put = t.put.bind(t);
      return {
        ...base,
        resourceType: T,
        rbacAction: `${T}/write`,
        apiNamespace,
        handle: (ctx) => {
          const g = getGroup(ctx);
          return put(ctx, name, ctx.world.state.find(ctx.subscriptionId, g.name, T, name));
        },
      };
    }
    if (method === 'DELETE') {
      return {
        ...base,
        resourceType: T,
        rbacAction: `${T}/delete`,
        apiNamespace,
        handle: (ctx) => {
          const g = getGroup(ctx);
          const r = ctx.world.state.find(ctx.subscriptionId, g.name, T, name);
          if (!r) return { status: 204 };
          if (r.busy === 'delete') return { status: 202, headers: {} };
          return t.delete(ctx, r);
        },
      };
    }
    throw methodNotAllowed(method);
  }
  // A POST action (start, powerOff…) or a GET view (instanceView).
  if (!sub2) {
    const action = t.actions?.[sub1.toLowerCase()];
    if (action && method === 'POST') {
      return {
        ...base,
        resourceType: T,
        rbacAction: `${T}/${action.name}/action`,
        apiNamespace,
        handle: (ctx) => action.run(ctx, withRecord(ctx)),
      };
    }
    const view = t.views?.[sub1.toLowerCase()];
    if (view && method === 'GET') {
      return {
        ...base,
        resourceType: T,
        rbacAction: `${T}/${view.name}/read`,
        apiNamespace,
        handle: (ctx) => view.get(ctx, withRecord(ctx)),
      };
    }
  }
  // A child resource (subnets).
  const child = t.children?.[sub1.toLowerCase()];
  if (child) {
    const CT = child.type;
    if (!sub2) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        ...base,
        resourceType: CT,
        rbacAction: `${CT}/read`,
        apiNamespace,
        handle: (ctx) => child.list(ctx, withRecord(ctx)),
      };
    }
    if (seg.length === 10) {
      const h: Record<string, (ctx: HandlerContext) => ArmResponse | Promise<ArmResponse>> = {
        GET: (ctx) => child.get(ctx, withRecord(ctx), sub2),
        PUT: (ctx) => child.put(ctx, withRecord(ctx), sub2),
        DELETE: (ctx) => child.delete(ctx, withRecord(ctx), sub2),
      };
      const handle = h[method];
      if (!handle) throw methodNotAllowed(method);
      return { ...base, resourceType: CT, rbacAction: `${CT}/${verb(method)}`, apiNamespace, handle };
    }
  }
  throw noRouteFound(path);
}

async function operationStatus(ctx: HandlerContext, id: string): Promise<ArmResponse> {
  const { ops } = ctx.world;
  const op = ops.get(id);
  if (!op || op.subscriptionId.toLowerCase() !== ctx.subscriptionId.toLowerCase()) {
    throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
  }
  await ops.settle(op);
  return {
    status: 200,
    body: ops.statusBody(op),
    headers: op.status === 'InProgress' ? { 'Retry-After': String(ops.retryAfterSeconds(op)) } : {},
  };
}

/** The Location URL: 202 while running, then 200 (compute, resources) or 204 (network), or the error. */
async function locationResult(ctx: HandlerContext, id: string): Promise<ArmResponse> {
  const { ops } = ctx.world;
  const op = ops.get(id);
  if (!op || op.subscriptionId.toLowerCase() !== ctx.subscriptionId.toLowerCase()) {
    throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
  }
  await ops.settle(op);
  if (op.status === 'InProgress') {
    return {
      status: 202,
      headers: {
        Location: ops.locationUrl(ctx.world.endpoint(), op),
        'Retry-After': String(ops.retryAfterSeconds(op)),
      },
    };
  }
  if (op.status === 'Failed' && op.error) {
    const e = new ArmError(op.error.code === 'AllocationFailed' ? 409 : 400, op.error.code, op.error.message);
    throw e;
  }
  return { status: op.provider === 'Microsoft.Network' ? 204 : 200 };
}

export { checkApiVersion, checkGroupName, resourceGroupNotFound };
