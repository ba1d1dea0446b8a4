// App-setting expressions in binding properties (`%NAME%`) and storage connections, resolved as the
// Functions host does: from the app's environment.
export function resolveSetting(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`App setting "${name}" referenced by a binding is not set.`);
    return v;
  });
}

/** The connection string behind a binding's `connection` (default AzureWebJobsStorage). */
export function storageConnection(connection: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const name = typeof connection === 'string' && connection !== '' ? connection : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (!value) {
    throw new Error(
      `Storage connection "${name}" is not set (the local host supports connection strings, not identity-based connections).`,
    );
  }
  return value;
}
