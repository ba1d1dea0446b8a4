// renderCloudInit(): a valid #cloud-config (parsed back with a real YAML parser) that writes the very
// files in infra/vm, the token root-only, enables the unit, and stays far below Azure's 64 KiB limit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { parse } from 'yaml';

import { AGENT_PATHS } from '../../lib/agent/assets';
import { renderCloudInit } from '../../lib/agent/cloud-init';
import { agentFromCustomData } from '../../local/guest/cloud-init';

const infra = (f: string) => readFileSync(join(__dirname, '..', '..', 'infra', 'vm', f), 'utf8');
const opts = {
  vmName: 'web-1',
  ingestUrl: 'https://app.example/api/vms/web-1/journal',
  token: 'A'.repeat(43),
};

describe('renderCloudInit', () => {
  it('writes the script, unit, env and a 0600 token file, then enables the service', () => {
    const doc = renderCloudInit(opts);
    assert.ok(doc.startsWith('#cloud-config\n'));
    const y = parse(doc) as {
      write_files: { path: string; permissions: string; content: string; encoding?: string }[];
      runcmd: string[][];
    };
    const byPath = new Map(y.write_files.map((f) => [f.path, f]));
    const script = byPath.get(AGENT_PATHS.script)!;
    assert.equal(script.encoding, 'gz+b64'); // cloud-init's gzip + base64 encoding
    assert.equal(
      gunzipSync(Buffer.from(script.content, 'base64')).toString('utf8'),
      infra('journal-agent.sh'),
    );
    assert.equal(byPath.get(AGENT_PATHS.script)?.permissions, '0755');
    assert.equal(byPath.get(AGENT_PATHS.unit)?.content, infra('vm-journal-agent.service'));
    assert.match(
      byPath.get(AGENT_PATHS.env)!.content,
      /^VMJ_INGEST_URL=https:\/\/app\.example\/api\/vms\/web-1\/journal$/m,
    );
    assert.doesNotMatch(byPath.get(AGENT_PATHS.env)!.content, /AAAA/); // the token is not in the env file
    assert.equal(byPath.get(AGENT_PATHS.token)?.content, `${opts.token}\n`);
    assert.equal(byPath.get(AGENT_PATHS.token)?.permissions, '0600');
    assert.deepEqual(y.runcmd.at(-1), [
      'systemctl',
      'enable',
      '--now',
      '--no-block',
      'vm-journal-agent.service',
    ]);
    assert.deepEqual(agentFromCustomData(doc), {
      script: infra('journal-agent.sh'),
      envFile: byPath.get(AGENT_PATHS.env)!.content,
      token: opts.token,
    });
  });

  it('stays well under the 64 KiB customData limit, also base64-encoded (the longest VM name)', () => {
    const doc = renderCloudInit({ ...opts, vmName: 'v'.repeat(63), token: 'x'.repeat(512) });
    assert.ok(Buffer.byteLength(doc) < 16 * 1024, `${Buffer.byteLength(doc)} bytes`);
    assert.ok(Buffer.from(doc).toString('base64').length < 24 * 1024);
  });

  it('the unit restarts forever and the script is valid POSIX sh', () => {
    const unit = infra('vm-journal-agent.service');
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^StartLimitIntervalSec=0$/m);
    assert.match(unit, /^EnvironmentFile=\/etc\/vm-journal\/agent\.env$/m);
  });

  it('rejects hostile input instead of writing it into the VM', () => {
    for (const bad of [
      { ...opts, ingestUrl: 'ftp://x/y' },
      { ...opts, ingestUrl: 'https://x/$(reboot)' },
      { ...opts, ingestUrl: 'not a url' },
      { ...opts, token: 'short' },
      { ...opts, token: `${'a'.repeat(20)}\nruncmd: [reboot]` },
      { ...opts, vmName: '../etc' },
    ])
      assert.throws(() => renderCloudInit(bad), { code: 'InvalidAgentSettings' });
    // Quotes and spaces are percent-encoded by URL normalisation, so they never reach the env file raw.
    assert.match(
      renderCloudInit({ ...opts, ingestUrl: 'https://x/a"b c' }),
      /^ +VMJ_INGEST_URL=https:\/\/x\/a%22b%20c$/m,
    );
  });
});
