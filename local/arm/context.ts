// What a resource handler gets for one request, and what it returns.
import type { Faults } from './faults';
import type { Guests } from './guests';
import type { Operations } from './lro';
import type { Providers } from './providers';
import type { ArmState, Json } from './state';

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Shared by every handler: the world and its settings. */
export interface World {
  state: ArmState;
  ops: Operations;
  guests: Guests;
  faults: Faults;
  /** Resource provider registration per subscription (MissingSubscriptionRegistration). */
  providers: Providers;
  /** Items per page of a list response (`nextLink` beyond). */
  pageSize: number;
  endpoint: () => string;
  publicIpDelayMs: number;
  /** Timers the world sets outside LROs (public IP allocation); cleared on reset and dispose. */
  later(ms: number, fn: () => void): void;
  /** The state changed outside a request (an operation or timer): persist it soon. */
  changed(): void;
  /** Resolves once every change made so far is on disk (a no-op without persistence). */
  persist(): Promise<void>;
  onError(e: unknown): void;
}

export interface HandlerContext {
  world: World;
  method: string;
  url: URL;
  subscriptionId: string;
  resourceGroup: string;
  body: Json;
  /** Records an extra RBAC action ARM checks for this call (join on a referenced subnet, NSG, IP, NIC…). */
  link(action: string): void;
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): ArmResponse => ({
  status,
  body,
  headers,
});
