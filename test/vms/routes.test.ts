// The VM route handlers called directly (new HttpRequest), with a Services of the test's own against
// Azurite and no ARM: the operations table's routes accept from the statuses the table lists and queue
// their command; the rotation answers the ingest URLs built from PUBLIC_BASE_URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { HttpRequest, type HttpResponseInit } from '@azure/functions';

import { withProblems } from '../../lib/http/problem';
import { issueIngestToken } from '../../lib/ingest-token';
import type { Services } from '../../lib/services';
import { parseCommand } from '../../lib/vms/commands';
import { POWER_COMMANDS, VM_OPERATIONS } from '../../lib/vms/operations';
import type { VmRecord } from '../../lib/vms/record';
import * as routes from '../../lib/vms/routes';
import { canApply } from '../../lib/vms/status';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';
import { startAzurite } from '../journal/helpers';

let storage: Awaited<ReturnType<typeof startAzurite>>;
let services: Services;

before(async () => {
  storage = await startAzurite();
  services = testServices(
    storage.connectionString,
    { PUBLIC_BASE_URL: 'https://vmj.example.com/', COMMAND_QUEUE_NAME: 'routes-test-commands' },
    { arm: () => Promise.reject(new Error('this test has no ARM')) },
  );
});
after(async () => {
  await storage?.dispose();
});

const addVm = (name: string, status: VmRecord['status']) => addVmRecord(services, name, status);

const post = (path: string, name: string) =>
  new HttpRequest({ method: 'POST', url: `http://localhost${path}`, params: { name } });

async function call(
  handler: (req: HttpRequest) => Promise<HttpResponseInit>,
  req: HttpRequest,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await withProblems(handler)(req, undefined as never);
  const headers = new Headers(res.headers);
  const body = (res.jsonBody ?? (typeof res.body === 'string' ? JSON.parse(res.body) : {})) as Record<
    string,
    unknown
  >;
  return { status: res.status ?? 200, body, headers };
}

describe('VM route handlers', () => {
  test('every power route of the table: 202 from the statuses it lists, the command queued; 409 from others', async () => {
    const queue = await services.queue(services.config.COMMAND_QUEUE_NAME);
    for (const command of POWER_COMMANDS) {
      const op = VM_OPERATIONS[command];
      for (const status of ['running', 'stopped', 'deallocated', 'failed'] as const) {
        const name = `${command}-${status}`.toLowerCase();
        await addVm(name, status);
        const r = await call(
          routes.commandRoute(services, command),
          post(`/api/vms/${name}/${command}`, name),
        );
        if (!canApply(command, status)) {
          assert.equal(r.status, 409, `${command} from ${status}`);
          assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
          assert.match(String(r.body.detail), new RegExp(`allowed from: ${op.from.join(', ')}`));
          continue;
        }
        assert.equal(r.status, 202, `${command} from ${status}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.status, op.pending);
        assert.equal(r.headers.get('location'), `http://localhost/api/vms/${name}`);
        const [message] = (await queue.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
        assert.ok(message, `a command for ${name}`);
        const cmd = parseCommand(Buffer.from(message.messageText, 'base64').toString('utf8'));
        assert.deepEqual([cmd?.name, cmd?.kind, cmd?.seq], [name, command, 2]);
        await queue.deleteMessage(message.messageId, message.popReceipt);
      }
    }
  });

  test('a missing VM is a 404, a bad name a 400 naming the field', async () => {
    const missing = await call(
      routes.commandRoute(services, 'redeploy'),
      post('/api/vms/nope/redeploy', 'nope'),
    );
    assert.equal(missing.status, 404);
    const bad = await call(routes.getVmRoute(services), post('/api/vms/Bad_Name', 'Bad_Name'));
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /path\.name/);
  });

  test('the rotation answers the ingest and upload URLs from PUBLIC_BASE_URL', async () => {
    await addVm('rot1', 'running');
    await issueIngestToken(services, 'rot1', 1); // the VM step's
    const r = await call(routes.rotateIngestTokenRoute(services), post('/api/vms/rot1/ingest-token', 'rot1'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ingestUrl, 'https://vmj.example.com/api/vms/rot1/journal');
    assert.equal(r.body.uploadUrl, `https://vmj.example.com/api/ingest/rot1/${String(r.body.token)}`);
  });
});
