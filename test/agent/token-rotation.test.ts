// The real agent script and a rotated ingest token: the token comes with an ingest answer, the agent
// replaces its token file (atomically, still 0600), uses it from the next stream without a refusal, and
// from then on the old token is refused. Nothing is lost on the way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { beginTokenRotation, verifyIngestToken } from '../../lib/ingest-token';
import { eventually, type TestRuntime } from '../helpers/runtime';
import { makeAgentRig, startIngestion } from './helpers';

describe('journal agent: token rotation', () => {
  let t: TestRuntime;
  before(async () => {
    t = await startIngestion();
  });
  after(async () => {
    await t?.dispose();
  });

  it('takes up a rotated token from an answer, then the old token is refused', async () => {
    const rig = await makeAgentRig(t, { env: { VMJ_STREAM_IDLE_MS: '400', VMJ_FLUSH_DELAY_MS: '200' } });
    try {
      await rig.write(50);
      await rig.writer.rotate();
      rig.agent.start();
      await rig.waitInSync();
      const old = readFileSync(rig.tokenFile, 'utf8').trim();

      const { token } = await beginTokenRotation(t.services, rig.vm);
      assert.equal(
        await verifyIngestToken(t.services, rig.vm, old),
        true,
        'the old token works until the agent switched',
      );
      await rig.write(20);
      await rig.writer.rotate();
      await eventually(() => readFileSync(rig.tokenFile, 'utf8').trim() === token, 20_000, 50);
      assert.equal(statSync(rig.tokenFile).mode & 0o777, 0o600);
      assert.deepEqual(
        readdirSync(dirname(rig.tokenFile)).filter((f) => f.startsWith('ingest-token.')),
        [],
        'no temporary file left behind',
      );

      // The next stream uses the new token: it is confirmed and the old one stops working.
      await rig.write(20);
      await rig.writer.rotate();
      await rig.waitInSync();
      assert.equal(await verifyIngestToken(t.services, rig.vm, old), false);
      assert.equal(await verifyIngestToken(t.services, rig.vm, token), true);
      assert.ok(rig.logs.some((l) => l.includes('received a rotated ingest token')));
      assert.ok(!rig.logs.some((l) => l.includes('HTTP 401')), rig.logs.join('\n'));
    } finally {
      await rig.dispose();
    }
  });
});
