// The local runtime as `npm start` runs it (the app on its own thread), with the app's table traffic
// passing through a counting proxy. The app's storage (AzureWebJobsStorage) is an Azurite of its own,
// started first so that the proxy knows where to forward before the app starts reading.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Services } from '../../lib/services';
import { Azurite } from '../../local/storage/azurite';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';

export interface HostileRuntime extends TestRuntime {
  /** Table requests the app sent so far (method and decoded path), in order. */
  tableRequests: string[];
  /** The app's VM record for `name` (the read routes answer 404 without one). */
  addVm(name: string): Promise<void>;
  /** A Services on the app's storage (not through the counting proxy), for the test's own reads. */
  services: Services;
}

function countingProxy(port: number, seen: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
    const up = request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function startHostileRuntime(): Promise<HostileRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'vmj-hostile-'));
  const storage = await Azurite.start({ dataDir: dir, ports: 'free', inMemory: true });
  const tableRequests: string[] = [];
  const tablePort = Number(/TableEndpoint=http:\/\/[^:]+:(\d+)/.exec(storage.connectionString)![1]);
  const proxy = await countingProxy(tablePort, tableRequests);
  const proxied = storage.connectionString.replace(
    `:${tablePort}/`,
    `:${(proxy.address() as AddressInfo).port}/`,
  );
  let t: TestRuntime;
  try {
    t = await startTestRuntime({ env: { AzureWebJobsStorage: proxied, TZ: 'UTC' } });
  } catch (e) {
    proxy.close();
    await storage.dispose();
    throw e;
  }
  const services = testServices(storage.connectionString);
  return {
    ...t,
    services,
    tableRequests,
    addVm: (name: string) => addVmRecord(services, name),
    async dispose() {
      await t.dispose();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
      await storage.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
