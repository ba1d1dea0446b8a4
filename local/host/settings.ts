// The app's settings as the host holds them: its environment. The host resolves app-setting
// expressions in binding properties (`%NAME%`) and storage connections from them, as the Functions host
// does, and gives them to the app (its thread's env, or handed over in-process: app.ts). Never
// process.env: two hosts in one process each have their own.
export type AppSettings = Readonly<Record<string, string | undefined>>;

export function resolveSetting(value: string, settings: AppSettings): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = settings[name];
    if (v === undefined) throw new Error(`App setting "${name}" referenced by a binding is not set.`);
    return v;
  });
}

/** The connection string behind a binding's `connection` (default AzureWebJobsStorage). */
export function storageConnection(connection: unknown, settings: AppSettings): string {
  const name = typeof connection === 'string' && connection !== '' ? connection : 'AzureWebJobsStorage';
  const value = settings[name] ?? settings[`AzureWebJobs${name}`];
  if (!value) {
    throw new Error(
      `Storage connection "${name}" is not set (the local host supports connection strings, not identity-based connections).`,
    );
  }
  return value;
}
