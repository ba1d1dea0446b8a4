// Resource provider registration per subscription. On a fresh subscription Microsoft.Compute and
// Microsoft.Network may be unregistered: every request routed to them then fails with 409
// MissingSubscriptionRegistration until `POST …/providers/{ns}/register` (Registering, then Registered
// after the LRO time). Microsoft.Resources is always registered, as on Azure.
import type { ArmResponse, HandlerContext } from './context';
import { ArmError } from './errors';

export type RegistrationState = 'NotRegistered' | 'Registering' | 'Registered';

/** The namespaces the emulator serves and can register. */
export const PROVIDER_NAMESPACES = ['Microsoft.Compute', 'Microsoft.Network'] as const;

const canonical = (ns: string) => PROVIDER_NAMESPACES.find((p) => p.toLowerCase() === ns.toLowerCase());

export class Providers {
  /** Per `<subscription>|<namespace>` (lower case); absent = the start default. */
  private readonly states = new Map<string, RegistrationState>();

  constructor(
    private readonly unregisteredAtStart: readonly string[],
    private readonly later: (ms: number, fn: () => void) => void,
    private readonly registerMs: number,
  ) {
    for (const ns of unregisteredAtStart) {
      if (!canonical(ns))
        throw new Error(`Unknown provider namespace '${ns}' (${PROVIDER_NAMESPACES.join(', ')})`);
    }
  }

  private key = (sub: string, ns: string) => `${sub.toLowerCase()}|${ns.toLowerCase()}`;

  state(sub: string, ns: string): RegistrationState {
    const s = this.states.get(this.key(sub, ns));
    if (s) return s;
    return this.unregisteredAtStart.some((u) => u.toLowerCase() === ns.toLowerCase())
      ? 'NotRegistered'
      : 'Registered';
  }

  /** Throws ARM's 409 when the namespace is one the emulator serves and is not registered yet. */
  check(sub: string, ns: string): void {
    const name = canonical(ns);
    if (!name || this.state(sub, name) === 'Registered') return;
    const message = `The subscription is not registered to use namespace '${name}'. See https://aka.ms/rps-not-found for how to register subscriptions.`;
    throw new ArmError(409, 'MissingSubscriptionRegistration', message, name, {}, [
      { code: 'MissingSubscriptionRegistration', target: name, message },
    ]);
  }

  register(sub: string, ns: string): void {
    if (this.state(sub, ns) !== 'NotRegistered') return;
    const k = this.key(sub, ns);
    this.states.set(k, 'Registering');
    this.later(this.registerMs, () => this.states.set(k, 'Registered'));
  }

  reset(): void {
    this.states.clear();
  }
}

function present(ctx: HandlerContext, ns: string) {
  return {
    id: `/subscriptions/${ctx.subscriptionId}/providers/${ns}`,
    namespace: ns,
    registrationState: ctx.world.providers.state(ctx.subscriptionId, ns),
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [],
  };
}

function known(ns: string): string {
  const name = canonical(ns);
  if (!name) {
    throw new ArmError(404, 'InvalidResourceNamespace', `The resource namespace '${ns}' is invalid.`);
  }
  return name;
}

/** GET /subscriptions/S/providers/NS and POST …/NS/register (Microsoft.Resources API). */
export const providers = {
  get:
    (ns: string) =>
    (ctx: HandlerContext): ArmResponse => ({ status: 200, body: present(ctx, known(ns)) }),
  register:
    (ns: string) =>
    (ctx: HandlerContext): ArmResponse => {
      const name = known(ns);
      ctx.world.providers.register(ctx.subscriptionId, name);
      return { status: 200, body: present(ctx, name) };
    },
  list: (ctx: HandlerContext): ArmResponse => ({
    status: 200,
    body: { value: PROVIDER_NAMESPACES.map((ns) => present(ctx, ns)) },
  }),
};
