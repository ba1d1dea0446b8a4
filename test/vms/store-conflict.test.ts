// Conflict resolution that cannot converge is a 503 with Retry-After, never a 500 (or a 409, which
// would blame the request): a VM record changed by another writer on every attempt, and journal rows
// whose creation conflicts round after round.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { getVm, updateVm } from '../../lib/vms/store';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';
import { startAzurite } from '../journal/helpers';

interface Thrown {
  status?: number;
  headers?: Record<string, string>;
}
const isBusy = (e: Thrown) => e.status === 503 && /^\d+$/.test(e.headers?.['Retry-After'] ?? '');

describe('conflict resolution that does not converge', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;

  /** Runs `body` with a Services on a table endpoint that answers `rule`'s status where it gives one. */
  async function withConflicts(
    rule: (req: IncomingMessage) => number | undefined,
    body: (services: Services) => Promise<void>,
  ): Promise<void> {
    const tablePort = Number(/TableEndpoint=http:\/\/[^:]+:(\d+)/.exec(storage.connectionString)![1]);
    const proxy: Server = createServer((req, res) => {
      const status = rule(req);
      if (status) {
        req.resume();
        const code = status === 409 ? 'EntityAlreadyExists' : 'UpdateConditionNotSatisfied';
        res.writeHead(status, { 'content-type': 'application/json;odata=minimalmetadata' });
        res.end(JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: code } } }));
        return;
      }
      const up = request(
        { host: '127.0.0.1', port: tablePort, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      await body(
        testServices(
          storage.connectionString.replace(`:${tablePort}/`, `:${(proxy.address() as AddressInfo).port}/`),
        ),
      );
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  }
  before(async () => {
    storage = await startAzurite();
  });
  after(async () => {
    await storage?.dispose();
  });

  it('a VM record another writer changes on every attempt: 503 with Retry-After', async () => {
    await addVmRecord(storage.services, 'contended');
    // Every conditional write of the record fails as if another writer had just changed it.
    await withConflicts(
      (req) => (req.method === 'PUT' && /\/vms\(/.test(req.url ?? '') ? 412 : undefined),
      async (services) => {
        await assert.rejects(
          updateVm(services, 'contended', (r) => ({
            ...r,
            updatedAt: new Date().toISOString(),
          })),
          (e: Thrown) => isBusy(e),
        );
      },
    );
    assert.equal((await getVm(storage.services, 'contended'))?.record.name, 'contended');
  });

  it('journal rows whose creation conflicts on every round: 503 with Retry-After', async () => {
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: 's=c;i=1',
        __REALTIME_TIMESTAMP: String(Date.now() * 1000),
        MESSAGE: 'contended',
      }).map(([k, v]) => [k, [v]]),
    );
    // Every create conflicts, and the lookup that follows finds nothing.
    await withConflicts(
      (req) => (req.method === 'POST' && !/\/Tables/.test(req.url ?? '') ? 409 : undefined),
      (services) =>
        assert.rejects(writeRecords(services, 'vm-c', [toRecord(raw, 0)]), (e: Thrown) => isBusy(e)),
    );
  });
});
