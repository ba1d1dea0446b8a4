// The ingest token's lifecycle in lib/ingest-token (Azurite): issued once per create operation, rotated
// with an overlap window that ends when the agent uses the new token, and never kept in the clear.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { redactPath, redactUrl } from '../../lib/http/redact';
import {
  authenticateIngestToken,
  beginTokenRotation,
  deleteIngestToken,
  dropIssuedToken,
  issueIngestToken,
  rotateIngestToken,
  ROTATION_OVERLAP_MS,
  verifyIngestToken,
} from '../../lib/ingest-token';
import { type Services, systemClock } from '../../lib/services';
import { testServices } from '../helpers/services';
import { startAzurite } from '../journal/helpers';

let services: Services;
const rowOf = async (vm: string) =>
  (await services.table('ingesttokens')).getEntity<Record<string, unknown>>(vm, '').catch(() => undefined);

describe('ingest token lifecycle (Azurite)', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    services = storage.services;
  });
  /** The app with its clock stopped at `ms`. */
  const servicesAt = (ms: number) =>
    testServices(
      storage.connectionString,
      {},
      { clock: { now: () => ms, sleep: (d, s) => systemClock.sleep(d, s) } },
    );
  after(() => storage.dispose());

  it('issues one token per create operation: the same again for a retry, a new one for another create', async () => {
    const vm = 'tok-issue';
    const first = await issueIngestToken(services, vm, 3);
    assert.equal(await issueIngestToken(services, vm, 3), first, 'a retried begin gets the same token');
    assert.equal(await verifyIngestToken(services, vm, first), true);
    await dropIssuedToken(services, vm);
    const row = await rowOf(vm);
    assert.ok(row && !('issued' in row), 'once ARM has the VM, the row keeps no token');
    assert.ok(!JSON.stringify(row).includes(first));
    await assert.rejects(issueIngestToken(services, vm, 3), /already handed over/);
    assert.equal(
      await verifyIngestToken(services, vm, first),
      true,
      'dropping the issued copy keeps the token valid',
    );
    const second = await issueIngestToken(services, vm, 9);
    assert.notEqual(second, first);
    assert.equal(
      await verifyIngestToken(services, vm, first),
      false,
      'a new VM of the same name has a new token',
    );
  });

  it('rotation: the old token works and carries the new one until the new one is used, then stops', async () => {
    const vm = 'tok-rotate';
    const old = await issueIngestToken(services, vm, 1);
    await dropIssuedToken(services, vm);
    const { token: next, previousValidUntil } = await beginTokenRotation(services, vm);
    assert.notEqual(next, old);
    assert.ok(Date.parse(previousValidUntil) > Date.now() + ROTATION_OVERLAP_MS - 60_000);
    const row = await rowOf(vm);
    assert.ok(!JSON.stringify(row).includes(next), 'the pending token is sealed, not stored');
    assert.ok(!JSON.stringify(row).includes(old));

    assert.deepEqual(await authenticateIngestToken(services, vm, old), { ok: true, nextToken: next });
    assert.deepEqual(
      await authenticateIngestToken(services, vm, old),
      { ok: true, nextToken: next },
      'until confirmed',
    );
    assert.deepEqual(await authenticateIngestToken(services, vm, 'x'.repeat(43)), { ok: false });
    assert.deepEqual(
      await authenticateIngestToken(services, vm, next),
      { ok: true },
      'the new token never gets a next',
    );
    assert.equal(
      await verifyIngestToken(services, vm, old),
      false,
      'the first use of the new token ends the old one',
    );
    assert.deepEqual(await authenticateIngestToken(services, vm, next), { ok: true });
    assert.equal(await verifyIngestToken(services, `${vm}-other`, next), false, 'another VM never matches');
  });

  it('the overlap window: the old token works up to ROTATION_OVERLAP_MS after the first unconfirmed rotation', async () => {
    const vm = 'tok-window';
    const old = await issueIngestToken(services, vm, 1);
    const t0 = new Date('2026-01-01T00:00:00Z');
    const first = await beginTokenRotation(servicesAt(t0.getTime()), vm);
    assert.equal(first.previousValidUntil, new Date(t0.getTime() + ROTATION_OVERLAP_MS).toISOString());
    // Rotating again replaces the pending token but does not extend the old one's life.
    const second = await beginTokenRotation(servicesAt(t0.getTime() + 3600_000), vm);
    assert.equal(second.previousValidUntil, first.previousValidUntil);
    assert.equal(await verifyIngestToken(services, vm, first.token), false, 'the newest rotation wins');
    const edge = t0.getTime() + ROTATION_OVERLAP_MS;
    assert.deepEqual(await authenticateIngestToken(servicesAt(edge), vm, old), {
      ok: true,
      nextToken: second.token,
    });
    assert.deepEqual(await authenticateIngestToken(servicesAt(edge + 1), vm, old), { ok: false });
    assert.deepEqual(await authenticateIngestToken(servicesAt(edge + 1), vm, second.token), { ok: true });
  });

  it('rotation needs an issued token; immediate replacement and deletion end every token', async () => {
    await assert.rejects(beginTokenRotation(services, 'tok-none'), { status: 409 });
    const vm = 'tok-replace';
    const old = await issueIngestToken(services, vm, 1);
    const { token: pending } = await beginTokenRotation(services, vm);
    const now = await rotateIngestToken(services, vm);
    assert.equal(await verifyIngestToken(services, vm, old), false);
    assert.equal(await verifyIngestToken(services, vm, pending), false);
    assert.deepEqual(await authenticateIngestToken(services, vm, now), { ok: true });
    await deleteIngestToken(services, vm);
    assert.equal(await verifyIngestToken(services, vm, now), false);
    assert.equal(await rowOf(vm), undefined);
  });

  it('a token row without a public key (older versions) gets one at its first use, then rotates with overlap', async () => {
    const vm = 'tok-legacy';
    const token = await rotateIngestToken(services, vm);
    const table = await services.table('ingesttokens');
    const row = await table.getEntity<Record<string, unknown>>(vm, '');
    await table.upsertEntity(
      { partitionKey: vm, rowKey: '', hash: row.hash, rotatedAt: row.rotatedAt },
      'Replace',
    );
    assert.equal(await verifyIngestToken(services, vm, token), true);
    assert.ok((await rowOf(vm))?.pub, 'the public key is derived from the token when it is used');
    const { token: next } = await beginTokenRotation(services, vm);
    assert.deepEqual(await authenticateIngestToken(services, vm, token), { ok: true, nextToken: next });
  });
});

describe('redaction of the uploader route', () => {
  it('replaces everything after the VM name', () => {
    assert.equal(redactPath('/api/ingest/web-1/s3cr3t/upload'), '/api/ingest/web-1/***');
    assert.equal(redactPath('/api/ingest/web-1/s3cr3t'), '/api/ingest/web-1/***');
    assert.equal(redactPath('/api/vms/web-1/journal'), '/api/vms/web-1/journal');
    assert.equal(redactUrl('/api/ingest/web-1/s3cr3t/upload?x=1'), '/api/ingest/web-1/***');
    assert.equal(redactUrl('https://h.example/api/ingest/w/t/upload'), 'https://h.example/api/ingest/w/***');
  });
});
