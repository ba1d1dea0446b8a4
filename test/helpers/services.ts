// Services for a test, built from explicit settings (never process.env), on an in-memory Azurite the
// test starts itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createServices, type Services, type ServicesOptions } from '../../lib/services';
import { Azurite } from '../../local/storage/azurite';

export const TEST_SUBSCRIPTION_ID = '00000000-0000-4000-8000-000000000000';

/** A Services on `connectionString`, with the required settings filled in and `env` over them. */
export function testServices(
  connectionString: string,
  env: Record<string, string> = {},
  options: ServicesOptions = {},
): Services {
  return createServices(
    {
      AZURE_SUBSCRIPTION_ID: TEST_SUBSCRIPTION_ID,
      PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
      AzureWebJobsStorage: connectionString,
      ...env,
    },
    options,
  );
}

export interface TestStorage {
  connectionString: string;
  dispose(): Promise<void>;
}

/** An in-memory Azurite on free ports, for this test file only. */
export async function startTestStorage(): Promise<TestStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'vmj-storage-'));
  const az = await Azurite.start({ dataDir: dir, ports: 'free', inMemory: true });
  return {
    connectionString: az.connectionString,
    async dispose() {
      await az.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
