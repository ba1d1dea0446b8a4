// Helpers every resource type shares: reading request bodies defensively, names, locations and
// references, and the shape of a resource type handler.
import type { ArmResponse, HandlerContext } from '../context';
import { ArmError, invalidParameter, invalidRequestContent } from '../errors';
import type { Provider } from '../lro';
import type { Json, ResourceRecord } from '../state';
import { regions } from './skus';

export interface ChildType {
  /** Full type, e.g. `Microsoft.Network/virtualNetworks/subnets`. */
  type: string;
  list(ctx: HandlerContext, parent: ResourceRecord): ArmResponse;
  get(ctx: HandlerContext, parent: ResourceRecord, name: string): ArmResponse;
  put(ctx: HandlerContext, parent: ResourceRecord, name: string): ArmResponse | Promise<ArmResponse>;
  delete(ctx: HandlerContext, parent: ResourceRecord, name: string): ArmResponse | Promise<ArmResponse>;
}

export interface ResourceType {
  type: string;
  provider: Provider;
  /** The GET representation (back-references are derived here, never stored). */
  present(ctx: HandlerContext, r: ResourceRecord): Json;
  put?(
    ctx: HandlerContext,
    name: string,
    existing: ResourceRecord | undefined,
  ): ArmResponse | Promise<ArmResponse>;
  delete(ctx: HandlerContext, r: ResourceRecord): ArmResponse | Promise<ArmResponse>;
  children?: Record<string, ChildType>;
  /** POST actions, by lower-case name (start, poweroff…). */
  actions?: Record<
    string,
    { name: string; run(ctx: HandlerContext, r: ResourceRecord): ArmResponse | Promise<ArmResponse> }
  >;
  /** GET sub-views, by lower-case name (instanceview). */
  views?: Record<string, { name: string; get(ctx: HandlerContext, r: ResourceRecord): ArmResponse }>;
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An optional nested object; anything else than an object is a 400 naming the property. */
export function obj(parent: Json, key: string, path: string): Json | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v))
    throw invalidRequestContent(`The request content was invalid: '${path}' must be an object.`);
  return v;
}

export function arr(parent: Json, key: string, path: string): unknown[] | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v))
    throw invalidRequestContent(`The request content was invalid: '${path}' must be an array.`);
  return v;
}

export function str(parent: Json, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw invalidRequestContent(`The request content was invalid: '${path}' must be a string.`);
  return v;
}

export function requiredParameter(path: string): ArmError {
  return invalidParameter(`Required parameter '${path}' is missing (null).`, path);
}

/** The location of a new resource: required, and one of the regions the emulator offers. */
export function location(body: Json, type: string): string {
  const loc = str(body, 'location', 'location');
  if (!loc)
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  const norm = loc.toLowerCase().replaceAll(' ', '');
  if (!regions.includes(norm)) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${loc}' is not available for resource type '${type}'. List of available regions for the resource type is '${regions.join(',')}'.`,
    );
  }
  return norm;
}

export function tags(body: Json): Record<string, string> | undefined {
  const t = obj(body, 'tags', 'tags');
  if (!t) return undefined;
  if (Object.keys(t).length > 50) throw invalidParameter('A resource can have at most 50 tags.', 'tags');
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'string' || k.length > 512 || v.length > 256 || /[<>%&\\?/]/.test(k)) {
      throw new ArmError(
        400,
        'InvalidTagNameCharacters',
        `The tag '${k.slice(0, 64)}' is not valid.`,
        'tags',
      );
    }
  }
  return t as Record<string, string>;
}

export interface ParsedId {
  subscriptionId: string;
  resourceGroup: string;
  type: string;
  name: string;
  child?: { type: string; name: string };
}

/** Parses `/subscriptions/S/resourceGroups/G/providers/NS/T/N[/CT/CN]`, else undefined. */
export function parseId(id: string): ParsedId | undefined {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+)\/([^/]+))?$/i.exec(
      id,
    );
  if (!m) return undefined;
  const [, subscriptionId, resourceGroup, ns, type, name, childType, childName] = m;
  return {
    subscriptionId: subscriptionId!,
    resourceGroup: resourceGroup!,
    type: `${ns}/${type}`,
    name: name!,
    ...(childType && childName ? { child: { type: childType, name: childName } } : {}),
  };
}

/** A `{ id }` reference property: its id string, or a 400 when the shape is wrong. */
export function refId(parent: Json, key: string, path: string): string | undefined {
  const ref = obj(parent, key, path);
  if (!ref) return undefined;
  const id = str(ref, 'id', `${path}.id`);
  if (!id) throw invalidParameter(`Reference '${path}' must have an id.`, path);
  if (!parseId(id))
    throw new ArmError(
      400,
      'LinkedInvalidPropertyId',
      `Property id '${id}' at path '${path}.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    );
  return id;
}

export const sameId = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Network resource names: alphanumerics, `_`, `.`, `-`, starting with an alphanumeric and ending with an
 * alphanumeric or `_`; 1–80 characters, virtual networks 2–64 (Microsoft's naming rules).
 */
export function checkNetworkName(
  name: string,
  limits: { min: number; max: number } = { min: 1, max: 80 },
): void {
  if (
    name.length < limits.min ||
    name.length > limits.max ||
    !/^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9_])?$/.test(name)
  ) {
    throw new ArmError(
      400,
      'InvalidResourceName',
      `Resource name ${name} is invalid. The name can be up to ${limits.max} characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
    );
  }
}

export function etag(): string {
  return `W/"${crypto.randomUUID()}"`;
}
