// TRANSITIONAL (redesign #18): one Services for the whole process behind the old module-level
// functions while their callers move to a Services passed in. In the app it is the app's own (the entry
// hands it over, so old and new code share caches, locks and event listeners); elsewhere (tests) it is
// built from process.env. Deleted when the last caller has moved.
import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';

import type { ArmClients } from './arm/clients';
import type { Config } from './config';
import { createServices, type Services } from './services';

let shared: Services | undefined;
let adopted = false;

export function legacyServices(): Services {
  return (shared ??= createServices(process.env));
}

/** The app's Services serves the old functions too (functions/index.ts, at load). */
export function useAsLegacyServices(services: Services): void {
  shared = services;
  adopted = true;
}

/** Forget the shared Services (tests that change the environment or storage between cases). */
export function resetLegacyServices(): void {
  if (!adopted) shared = undefined;
}

export const getConfig = (): Config => legacyServices().config;
export const tableClient = (name: string): Promise<TableClient> => legacyServices().table(name);
export const queueClient = (name: string): Promise<QueueClient> => legacyServices().queue(name);
export const tableService = (): Promise<TableServiceClient> => legacyServices().tableService();
export const armClients = (): Promise<ArmClients> => legacyServices().arm();
export const azureCredential = (): Promise<TokenCredential> => legacyServices().credential();
