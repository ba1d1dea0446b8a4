// TRANSITIONAL (redesign #18): one Services for the whole process, built from process.env, behind the
// old module-level functions while their callers move to a Services passed in. Deleted when the last
// caller has moved.
import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';

import type { ArmClients } from './arm/clients';
import type { Config } from './config';
import { createServices, type Services } from './services';

let shared: Services | undefined;

export function legacyServices(): Services {
  return (shared ??= createServices(process.env));
}

/** Forget the shared Services (tests that change the environment or storage between cases). */
export function resetLegacyServices(): void {
  shared = undefined;
}

export const getConfig = (): Config => legacyServices().config;
export const tableClient = (name: string): Promise<TableClient> => legacyServices().table(name);
export const queueClient = (name: string): Promise<QueueClient> => legacyServices().queue(name);
export const tableService = (): Promise<TableServiceClient> => legacyServices().tableService();
export const armClients = (): Promise<ArmClients> => legacyServices().arm();
export const azureCredential = (): Promise<TokenCredential> => legacyServices().credential();
