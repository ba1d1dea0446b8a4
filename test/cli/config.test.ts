// Where vmj connects and which SSH key it sends, without a server: flags over env over profile over
// the local default, and the ~/.ssh defaults of `vm create`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { sshKey } from '../../cli/commands/vm';
import { checkUrl, configPath, DEFAULT_URL, resolveConnection, saveProfile } from '../../cli/config';

const home = mkdtempSync(join(tmpdir(), 'vmj-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

describe('connection', () => {
  test('config path: $XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x', HOME: home }), '/x/vm-journal/config.json');
    assert.equal(configPath({ HOME: home }), join(home, '.config', 'vm-journal', 'config.json'));
  });

  test('flags over VMJ_URL/VMJ_KEY over the profile over http://127.0.0.1:7071', () => {
    const env: Record<string, string | undefined> = { HOME: home };
    assert.deepEqual(resolveConnection({}, env), { url: DEFAULT_URL, source: 'default' });
    saveProfile({ url: 'https://prod.example/', key: 'pk' }, env);
    assert.deepEqual(resolveConnection({}, env), {
      url: 'https://prod.example',
      key: 'pk',
      source: 'profile',
    });
    env.VMJ_URL = 'http://env.example:8080/api';
    env.VMJ_KEY = 'ek';
    assert.deepEqual(resolveConnection({}, env), {
      url: 'http://env.example:8080',
      key: 'ek',
      source: 'env',
    });
    assert.deepEqual(resolveConnection({ url: 'http://flag.example', key: 'fk' }, env), {
      url: 'http://flag.example',
      key: 'fk',
      source: 'flag',
    });
    assert.throws(() => checkUrl('ftp://x'), /must be http or https/);
    assert.throws(() => checkUrl('not a url'), /not a URL/);
  });

  test('a broken profile is a usage error naming the file', () => {
    const env = { XDG_CONFIG_HOME: join(home, 'broken') };
    mkdirSync(join(home, 'broken', 'vm-journal'), { recursive: true });
    writeFileSync(configPath(env), '{');
    assert.throws(() => resolveConnection({}, env), /config\.json is not valid JSON; run vmj login again/);
  });
});

describe('vm create --ssh-key', () => {
  test('defaults to ~/.ssh/id_ed25519.pub, then id_rsa.pub, else none', () => {
    const h = join(home, 'ssh-home');
    mkdirSync(join(h, '.ssh'), { recursive: true });
    assert.equal(sshKey(undefined, h), undefined);
    writeFileSync(join(h, '.ssh', 'id_rsa.pub'), 'ssh-rsa AAAA rsa@host\n');
    assert.equal(sshKey(undefined, h), 'ssh-rsa AAAA rsa@host');
    writeFileSync(join(h, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAA ed@host\n');
    assert.equal(sshKey(undefined, h), 'ssh-ed25519 AAAA ed@host');
    assert.equal(sshKey(join(h, '.ssh', 'id_rsa.pub'), h), 'ssh-rsa AAAA rsa@host');
    assert.throws(() => sshKey(join(h, 'missing.pub'), h), /--ssh-key: no such file/);
  });
});
