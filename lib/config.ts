// Every setting the app reads, parsed once with a schema and frozen. A missing or bad setting fails
// fast with a message naming it; nothing falls back to an empty string.
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const intSetting = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

const shape = {
  /** Storage: a connection string (local, Azurite) or identity-based settings (Azure). */
  AzureWebJobsStorage: optionalString,
  AzureWebJobsStorage__accountName: optionalString,
  AzureWebJobsStorage__tableServiceUri: optionalString,
  AzureWebJobsStorage__queueServiceUri: optionalString,
  AzureWebJobsStorage__blobServiceUri: optionalString,
  AzureWebJobsStorage__clientId: optionalString,

  /** ARM: subscription the VMs are created in; endpoint and CA only change for the local emulator. */
  AZURE_SUBSCRIPTION_ID: z.guid({
    error: (issue) => (issue.input === undefined ? 'required' : 'must be a subscription id (GUID)'),
  }),
  AZURE_ARM_ENDPOINT: z.string().url().default('https://management.azure.com'),
  AZURE_ARM_CA_FILE: optionalString,
  /** Static bearer token, for the local ARM emulator only; on Azure the managed identity is used. */
  AZURE_ARM_STATIC_TOKEN: optionalString,
  /** Client id of the user-assigned managed identity (Azure). */
  AZURE_CLIENT_ID: optionalString,

  /** VM defaults. */
  VM_DEFAULT_REGION: z.string().trim().min(1).default('westeurope'),
  VM_RESOURCE_GROUP_PREFIX: z
    .string()
    .trim()
    .regex(/^[-\w.()]{1,40}$/, 'letters, digits, - _ . ( ) only, at most 40 characters')
    .default('vmj-'),
  VM_SSH_SOURCE_CIDR: optionalString,
  VM_DEFAULT_SSH_PUBLIC_KEY: optionalString,
  /** Base URL the VM agents reach the app at (ingest URLs are built from it). */
  PUBLIC_BASE_URL: z.string().url(),

  /** Queues and retention. At most 56 characters: the host moves failed messages to `<name>-poison`,
   * and a queue name is at most 63. */
  COMMAND_QUEUE_NAME: z
    .string()
    .regex(
      /^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/,
      'must be a valid Storage queue name of 3-56 characters (its "-poison" queue must fit in 63)',
    )
    .default('vm-commands'),
  JOURNAL_RETENTION_DAYS: intSetting(1, 3650, 30),
  EVENTS_RETENTION_DAYS: intSetting(1, 3650, 30),
};

/** Every setting name the app reads (the Bicep checks compare this with the function app's settings). */
export const settingNames = Object.keys(shape) as (keyof typeof shape)[];

/** Settings without a default that must be set wherever the app runs (storage is checked separately). */
export const requiredSettingNames = settingNames.filter((k) => !shape[k].safeParse(undefined).success);

const schema = z.object(shape);

/** Storage may come as a connection string or as identity-based settings, but must come. */
function storageProblems(env: NodeJS.ProcessEnv): string[] {
  const has = (k: string) => (env[k] ?? '').trim() !== '';
  if (
    has('AzureWebJobsStorage') ||
    has('AzureWebJobsStorage__accountName') ||
    has('AzureWebJobsStorage__tableServiceUri')
  ) {
    return [];
  }
  return [
    'AzureWebJobsStorage: set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (identity)',
  ];
}

export type Config = Readonly<z.output<typeof schema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'InvalidConfiguration';
}

/** Parses an environment into a frozen config, or throws a ConfigError naming every bad setting. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)),
    ...storageProblems(env),
  ];
  if (!result.success || problems.length > 0)
    throw new ConfigError(`Invalid app settings: ${problems.join('; ')}`);
  return Object.freeze(result.data);
}
