// The built `vmj` as a child process against the local runtime: create with live progress (on an
// 80×24 pseudo-terminal and piped), list/show/token/delete, every `logs` flag against the same
// selection over the API, `-f` across a dropped connection, the pager, errors and exit codes.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually } from '../helpers/runtime';
import { BOOT_A, BOOT_B, exportFormat, type Fields, sampleEntries } from '../journal/helpers';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from '../vms/helpers';
import { startVmj, TcpProxy, VMJ, vmj, vmjOnTty } from './helpers';

/* eslint-disable no-control-regex */
const ESC = /\x1b/;
/** Management routes need it (authLevel function), as on Azure. */
const KEY = 'test-function-key';

describe('vmj', () => {
  let t: VmTestRuntime;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let keyFile: string;
  let token: string;
  const start = (Date.now() - 3_600_000) * 1000;

  const api = async (path: string) => {
    const res = await fetch(t.url(path), { headers: { 'x-functions-key': KEY } });
    assert.equal(res.status, 200, path);
    return res;
  };
  let seq = 0;
  /** Adds the __CURSOR journald would have (sampleEntries are fields as written, before the journal). */
  const withCursors = (entries: Fields[]): Fields[] =>
    entries.map((f) => {
      const boot = f.find(([k]) => k === '_BOOT_ID')?.[1] as string;
      return [['__CURSOR', `s=${'c'.repeat(32)};i=${(++seq).toString(16)};b=${boot}`], ...f];
    });
  const ingest = async (vm: string, entries: Fields[]) => {
    const res = await fetch(t.url(`/api/vms/${vm}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.fdo.journal' },
      body: exportFormat(withCursors(entries)),
    });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    t = await startVmRuntime({ env: { TZ: 'UTC' }, keys: { functionKey: KEY } });
    dir = mkdtempSync(join(tmpdir(), 'vmj-cli-'));
    keyFile = join(dir, 'key.pub');
    writeFileSync(keyFile, sshPublicKey() + '\n');
    // No profile, no ~/.ssh: every test names what it uses.
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      VMJ_URL: t.rt.baseUrl,
      VMJ_KEY: KEY,
      TZ: 'UTC',
      TERM: 'xterm-256color',
    };
  });
  after(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--help on every command, with examples; usage errors exit 2', async () => {
    for (const args of [
      [],
      ['vm'],
      ['vm', 'create'],
      ['vm', 'delete'],
      ['logs'],
      ['units'],
      ['events'],
      ['login'],
    ]) {
      const r = await vmj([...args, '--help'], env);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: vmj/);
      assert.match(r.stdout, /Examples:/, `examples in vmj ${args.join(' ')} --help`);
    }
    const usage = [
      ['logs'],
      ['vm', 'create', 'x', '--size', 'huge'],
      ['vm', 'create', 'x', '--size', 'small', '--cpu', '2'],
      ['vm', 'create', 'x', '--cpu', 'two'],
      ['logs', 'x', '-S', 'the day after'],
      ['logs', 'x', '-p', 'loud'],
      ['logs', 'x', '-f', '-r'],
      ['logs', 'x', '-o', 'xml'],
      ['nonsense'],
      ['--url', 'ftp://x', 'vm', 'list'],
    ];
    for (const args of usage) {
      const r = await vmj(args, env);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0);
      assert.doesNotMatch(r.stderr, / {4}at /, 'no stack trace');
    }
  });

  test('create, piped: each step and the IP, no escape codes, exit 0', async () => {
    const r = await vmj(['vm', 'create', 'cli-1', '--size', 'small', '--ssh-key', keyFile], env);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, ESC);
    const vm = (await (await api('/api/vms/cli-1')).json()) as {
      publicIp: string;
      provisioning: { steps: { name: string }[] };
    };
    assert.equal(r.stdout, `cli-1 is running\n  IP:  ${vm.publicIp}\n  ssh: ssh azureuser@${vm.publicIp}\n`);
    for (const step of vm.provisioning.steps)
      assert.match(r.stderr, new RegExp(`✔ ${step.name} \\d`), step.name);
    assert.match(r.stderr, new RegExp(`✔ IP address ${vm.publicIp.replace(/\./g, '\\.')}`));
    assert.match(r.stderr, /✔ Created cli-1 \(\d/);
  });

  test('create on an 80×24 terminal: a spinner with elapsed time, then the IP; NO_COLOR drops colour only', async () => {
    const r = await vmjOnTty(
      ['vm', 'create', 'cli-2', '--cpu', '2', '--memory', '4', '--ssh-key', keyFile],
      env,
    );
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /\x1b\[/, 'cursor and colour sequences on a terminal');
    assert.match(r.stdout, /Creating cli-2: provisioning .*\d+\.\ds/);
    assert.match(r.stdout, /cli-2 is running\r?\n {2}IP: {2}\d+\.\d+\.\d+\.\d+\r?\n {2}ssh: ssh azureuser@/);
    const colour = /\x1b\[(3\d|9\d|1|2)m/;
    assert.match(r.stdout, colour);

    const plain = await vmjOnTty(['vm', 'show', 'cli-2'], { ...env, NO_COLOR: '1' });
    assert.equal(plain.code, 0);
    assert.doesNotMatch(plain.stdout, colour);
    assert.match(plain.stdout, /status: +running/);
  });

  test('create that ARM fails: the step and ARM error, exit 1', async () => {
    await t.emulator('PUT', '/_emulator/faults', [
      { kind: 'allocationFailed', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 },
    ]);
    const r = await vmj(['vm', 'create', 'cli-bad', '--size', 'large', '--ssh-key', keyFile], env);
    await t.emulator('DELETE', '/_emulator/faults');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /✖ Creating cli-bad failed: virtualMachine failed: AllocationFailed: /);
    assert.equal(r.stdout, '');
  });

  test('list, show, and problem+json errors as one line', async () => {
    const table = await vmj(['vm', 'list'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME +STATUS +SIZE +REGION +PUBLIC IP +CREATED\n/);
    assert.match(table.stdout, /\ncli-1 +running +small /);
    assert.match(table.stdout, /\ncli-bad +failed /);
    const json = JSON.parse((await vmj(['vm', 'list', '-o', 'json'], env)).stdout) as { name: string }[];
    assert.deepEqual(json.map((v) => v.name).sort(), ['cli-1', 'cli-2', 'cli-bad']);
    const show = JSON.parse((await vmj(['vm', 'show', 'cli-1', '-o', 'json'], env)).stdout) as {
      status: string;
    };
    assert.equal(show.status, 'running');

    const missing = await vmj(['vm', 'show', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^vmj: Not Found: .*nope.* \[HTTP 404\]\n$/);
    const taken = await vmj(['vm', 'create', 'cli-1', '--size', 'small', '--ssh-key', keyFile], env);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^vmj: .*\[HTTP 409\]\n$/);
    const invalid = await vmj(['vm', 'create', 'bad_name!', '--ssh-key', keyFile], env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^vmj: .*name.*\[HTTP 400\]\n$/);
  });

  test('a network failure names the URL it tried', async () => {
    const proxy = await TcpProxy.start(t.rt.baseUrl);
    const url = proxy.url;
    await proxy.close();
    const r = await vmj(['vm', 'list', '--url', url], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^vmj: cannot reach ${url}/api/vms\\?limit=1000: .*ECONNREFUSED`));
  });

  test('login saves a 0600 profile; VMJ_URL/VMJ_KEY and --url/--key override it', async () => {
    const noEnv = { ...env, VMJ_URL: undefined, VMJ_KEY: undefined };
    const file = join(dir, 'config', 'vm-journal', 'config.json');
    const keyless = await vmj(['login', '--url', t.rt.baseUrl], noEnv);
    assert.equal(keyless.code, 1, 'the key is checked before anything is saved');
    assert.match(keyless.stderr, /^vmj: .*\[HTTP 401\]\n$/);
    assert.throws(() => statSync(file));

    const r = await vmj(['login', '--url', t.rt.baseUrl, '--key', KEY], noEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: t.rt.baseUrl, key: KEY });
    assert.equal((await vmj(['vm', 'show', 'cli-1'], noEnv)).code, 0);

    const viaEnv = await vmj(['vm', 'show', 'cli-1'], { ...noEnv, VMJ_URL: 'http://127.0.0.1:9' });
    assert.match(viaEnv.stderr, /cannot reach http:\/\/127\.0\.0\.1:9\//);
    const badKey = await vmj(['vm', 'show', 'cli-1'], { ...noEnv, VMJ_KEY: 'wrong' });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /\[HTTP 401\]\n$/);
    const flags = await vmj(['vm', 'show', 'cli-1', '--url', t.rt.baseUrl, '--key', KEY], {
      ...noEnv,
      VMJ_URL: 'http://127.0.0.1:9',
      VMJ_KEY: 'wrong',
    });
    assert.equal(flags.code, 0, flags.stderr);

    const failed = await vmj(['login', '--url', 'http://127.0.0.1:9'], noEnv);
    assert.equal(failed.code, 1);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: t.rt.baseUrl, key: KEY }, 'unchanged');
  });

  test('vm token rotates and prints the URLs; logs, units and boots read what was ingested', async () => {
    const r = await vmj(['vm', 'token', 'cli-1', '-o', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    const t1 = JSON.parse(r.stdout) as { token: string; ingestUrl: string; uploadUrl: string };
    assert.match(t1.ingestUrl, /\/api\/vms\/cli-1\/journal$/);
    assert.ok(t1.uploadUrl.endsWith(t1.token));
    token = t1.token;
    await ingest('cli-1', sampleEntries(start));
    const text = await vmj(['vm', 'token', 'cli-1'], env);
    assert.match(text.stdout, /^token: +\S+\ningest URL: +http\S+\/journal\nupload URL: +http\S+\n$/);
    token = /^token: +(\S+)/.exec(text.stdout)![1]!;

    const units = await vmj(['units', 'cli-1'], env);
    assert.match(units.stdout, /^UNIT +ENTRIES +FIRST +LAST\n/);
    assert.match(units.stdout, /\nnginx\.service +5 /);
    const boots = await vmj(['logs', 'cli-1', '--list-boots'], env);
    assert.match(boots.stdout, new RegExp(`\\n *-1 +${BOOT_A} .*\\n *0 +${BOOT_B} `));
  });

  describe('logs: every flag gives the same selection as the API', () => {
    const iso = (usec: number) => new Date(usec / 1000).toISOString();
    const local = (usec: number) =>
      iso(usec)
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ''); // TZ=UTC
    const cases: [string, string[], string][] = [
      ['everything', [], ''],
      ['-u', ['-u', 'nginx.service'], 'unit=nginx.service'],
      ['-u twice', ['-u', 'nginx.service', '--unit', 'cron.service'], 'unit=nginx.service&unit=cron.service'],
      ['-b', ['-b'], 'boot=current'],
      ['-b -1', ['-b', '-1'], 'boot=-1'],
      ['-b 0', ['-b', '0'], 'boot=0'],
      ['-b ID', ['-b', BOOT_A], `boot=${BOOT_A}`],
      ['-p err', ['-p', 'err'], 'priority=3'],
      ['-p 4', ['-p', '4'], 'priority=4'],
      ['-g', ['-g', 'LINE'], 'grep=line'],
      ['-r', ['-r'], 'order=desc'],
      [
        '-u -b -p -r',
        ['-u', 'nginx.service', '-b', '-1', '-p', 'warning', '-r'],
        'unit=nginx.service&boot=-1&priority=4&order=desc',
      ],
    ];
    for (const [name, args, query] of cases)
      test(`${name}: -o short is byte-identical to format=short`, async () => {
        const expected = await (await api(`/api/vms/cli-1/journal?format=short&limit=1000&${query}`)).text();
        const r = await vmj(['logs', 'cli-1', ...args, '-o', 'short'], env);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(expected.length > 0);
        assert.equal(r.stdout, expected);
      });

    test('-S/-U: "YYYY-MM-DD HH:MM:SS", relative and named forms', async () => {
      // journalctl's local "YYYY-MM-DD HH:MM:SS" (TZ=UTC here), whole seconds.
      const from = local(start + 2_000_000);
      const to = local(start + 7_000_000);
      const asIso = (l: string) => `${l.replace(' ', 'T')}Z`;
      const expected = await (
        await api(`/api/vms/cli-1/journal?format=short&since=${asIso(from)}&until=${asIso(to)}`)
      ).text();
      const r = await vmj(['logs', 'cli-1', '-S', from, '-U', to], env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(expected.includes('Started cron.service.'));
      assert.equal(r.stdout, expected);
      const rel = await vmj(['logs', 'cli-1', '-S', '-2h', '-U', '+5min', '-o', 'json'], env);
      const all = (await (await api('/api/vms/cli-1/journal?limit=1000')).json()) as { items: unknown[] };
      assert.equal(
        rel.stdout.trim().split('\n').length,
        all.items.length,
        'every entry, with a message or not',
      );
      assert.equal((await vmj(['logs', 'cli-1', '-S', 'now'], env)).stdout, '');
      assert.equal((await vmj(['logs', 'cli-1', '-S', 'today', '-U', 'tomorrow', '-n', '1'], env)).code, 0);
      assert.equal((await vmj(['logs', 'cli-1', '-U', 'yesterday'], env)).stdout, '');
    });

    test('-n N: the newest N in ascending order; with -r newest first; -n alone is 10', async () => {
      const all = (await (await api('/api/vms/cli-1/journal?limit=1000')).json()) as {
        items: { cursor: string }[];
      };
      const cursors = (args: string[]) =>
        vmj(['logs', 'cli-1', ...args, '-o', 'json'], env).then((r) =>
          r.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { __CURSOR: string }).__CURSOR),
        );
      const asc = all.items.map((e) => e.cursor);
      assert.deepEqual(await cursors(['-n', '3']), asc.slice(-3));
      assert.deepEqual(await cursors(['-n', '3', '-r']), asc.slice(-3).reverse());
      assert.deepEqual(await cursors(['-n']), asc.slice(-10));
      assert.deepEqual(await cursors(['-n', 'all']), asc);
      const viaApi = (await (
        await api('/api/vms/cli-1/journal?order=desc&limit=2&unit=nginx.service')
      ).json()) as { items: { cursor: string }[] };
      assert.deepEqual(
        await cursors(['-u', 'nginx.service', '-n', '2']),
        viaApi.items.map((e) => e.cursor).reverse(),
      );
    });

    test('-p X..Y: a range the API cannot express is finished on the client', async () => {
      const r = await vmj(['logs', 'cli-1', '-p', 'err..warning', '-o', 'json'], env);
      const prios = r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { PRIORITY: string }).PRIORITY);
      assert.deepEqual(prios, ['3', '4']);
      const crit = await vmj(['logs', 'cli-1', '-p', '0..crit', '-o', 'cat'], env);
      assert.equal(crit.stdout, 'trailing newline\n');
    });

    test('-b 1 is the first boot; output modes cat, json, json-pretty, short-iso, short-precise', async () => {
      const first = await vmj(['logs', 'cli-1', '-b', '1', '-o', 'short'], env);
      assert.equal(
        first.stdout,
        await (await api(`/api/vms/cli-1/journal?format=short&boot=${BOOT_A}`)).text(),
      );
      const cat = await vmj(['logs', 'cli-1', '-u', 'cron.service', '-o', 'cat'], env);
      assert.equal(cat.stdout, 'Started cron.service.\n');
      const json = (await vmj(['logs', 'cli-1', '-u', 'user@1000.service', '-o', 'json'], env)).stdout;
      assert.deepEqual(
        (JSON.parse(json) as { MESSAGE: number[] }).MESSAGE,
        [0x62, 0x69, 0x6e, 0x00, 0xff, 0x01],
      );
      const pretty = (await vmj(['logs', 'cli-1', '-u', 'cron.service', '-o', 'json-pretty'], env)).stdout;
      assert.match(pretty, /^\{\n\t"__CURSOR": /);
      const isoOut = (await vmj(['logs', 'cli-1', '-u', 'cron.service', '-o', 'short-iso'], env)).stdout;
      assert.equal(
        isoOut,
        `${iso(start + 6_000_000).slice(0, 19)}+0000 vm-1 systemd[1]: Started cron.service.\n`,
      );
      const precise = (
        await vmj(['logs', 'cli-1', '-u', 'nginx.service', '-g', 'line one', '-o', 'short-precise'], env)
      ).stdout;
      const d = new Date((start + 2_000_000) / 1000);
      const stamp = `${d.toUTCString().slice(8, 11)} ${d.toUTCString().slice(5, 7)} ${d.toISOString().slice(11, 19)}.${String(start % 1e6).padStart(6, '0')}`;
      const head = `${stamp} vm-1 nginx[202]: `;
      const pad = ' '.repeat(head.length);
      assert.equal(precise, `${head}line one\n${pad}line two\n${pad}\n${pad}line four\n`);
    });

    test('a pager on a terminal ($PAGER), never when piped or with --no-pager', async () => {
      const pager = { ...env, PAGER: 'sed s/^/PAGED:/' };
      const tty = await vmjOnTty(['logs', 'cli-1', '-u', 'cron.service'], pager);
      assert.match(tty.stdout, /PAGED:.*Started cron\.service\./);
      const noPager = await vmjOnTty(['logs', 'cli-1', '-u', 'cron.service', '--no-pager'], pager);
      assert.doesNotMatch(noPager.stdout, /PAGED:/);
      assert.match(noPager.stdout, /Started cron\.service\./);
      const systemd = await vmjOnTty(['logs', 'cli-1', '-u', 'cron.service'], {
        ...pager,
        SYSTEMD_PAGER: 'sed s/^/SD:/',
      });
      assert.match(systemd.stdout, /SD:.*Started cron\.service\./);
      const piped = await vmj(['logs', 'cli-1', '-u', 'cron.service'], pager);
      assert.doesNotMatch(piped.stdout, /PAGED:/);
    });
  });

  test('-f follows across a dropped connection and a killed proxy without gaps or repeats; Ctrl-C ends it', async () => {
    const proxy = await TcpProxy.start(t.rt.baseUrl);
    const live = (i: number, msg: string): Fields => [
      ['__REALTIME_TIMESTAMP', String(Date.now() * 1000 + i)],
      ['_BOOT_ID', BOOT_B],
      ['_HOSTNAME', 'vm-1'],
      ['_SYSTEMD_UNIT', 'app.service'],
      ['SYSLOG_IDENTIFIER', 'app'],
      ['PRIORITY', '6'],
      ['MESSAGE', msg],
    ];
    const p = startVmj(['logs', 'cli-1', '-f', '-n', '2', '-o', 'cat', '--url', proxy.url], env);
    try {
      await eventually(() => p.stdout().split('\n').length === 3, 15_000);
      const initial = p.stdout();
      await ingest('cli-1', [live(0, 'live one'), live(1, 'live two')]);
      await eventually(() => p.stdout().includes('live two\n'), 15_000);
      proxy.cut(); // the stream drops mid-way; entries written meanwhile must still arrive, once
      await ingest('cli-1', [live(2, 'while cut one'), live(3, 'while cut two')]);
      await eventually(() => p.stdout().includes('while cut two\n'), 15_000);
      await proxy.kill(); // the proxy dies: reconnects are refused for a while
      await ingest('cli-1', [live(4, 'while down')]);
      await new Promise((r) => setTimeout(r, 2500));
      await proxy.revive();
      await eventually(() => p.stdout().includes('while down\n'), 15_000);
      await ingest('cli-1', [live(5, 'after')]);
      await eventually(() => p.stdout().includes('after\n'), 15_000);
      assert.equal(
        p.stdout(),
        `${initial}live one\nlive two\nwhile cut one\nwhile cut two\nwhile down\nafter\n`,
      );
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
    } finally {
      p.child.kill('SIGKILL');
      await proxy.close();
    }
  });

  test('events: list, --since, -o json, and -f (across a redeploy and a stop)', async () => {
    const r = await vmj(['events'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli-1 {2}queued\n/);
    assert.match(r.stdout, /cli-1 {2}step\.completed {2}virtualMachine succeeded\n/);
    assert.match(r.stdout, /cli-bad {2}failed {2}virtualMachine AllocationFailed: /);
    const json = (await vmj(['events', '-S', '-1h', '-o', 'json'], env)).stdout.trim().split('\n');
    const types = json.map((l) => (JSON.parse(l) as { type: string; subject: string }).type);
    assert.ok(types.includes('vmjournal.vm.running'));
    assert.equal((await vmj(['events', '-S', '+1h'], env)).stdout, '');

    const f = startVmj(['events', '-f'], env);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const redeploy = await vmj(['vm', 'redeploy', 'cli-2'], env);
      assert.equal(redeploy.code, 0, redeploy.stderr);
      assert.match(redeploy.stderr, /✔ Redeploy cli-2: done/);
      await eventually(() => f.stdout().includes('cli-2  power.changed  redeploy → running\n'), 15_000);
      const stop = await vmj(['vm', 'stop', 'cli-2'], env);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stderr, /✔ Stop cli-2: done/);
      await eventually(() => f.stdout().includes('cli-2  power.changed  stop → stopped\n'), 15_000);
      f.child.kill('SIGINT');
      assert.equal((await f.done).code, 0);
    } finally {
      f.child.kill('SIGKILL');
    }
  });

  test('delete asks on a terminal, --yes skips it, and it waits until deleted', async () => {
    const no = await vmjOnTty(['vm', 'delete', 'cli-2'], env, 'n\n');
    assert.match(no.stdout, /Delete VM cli-2 and everything created for it\? \(y\/N\): /);
    assert.equal(no.code, 1, 'n is no');
    assert.equal(((await (await api('/api/vms/cli-2')).json()) as { status: string }).status, 'stopped');
    const r = await vmj(['vm', 'delete', 'cli-2', '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /✔ Deleting cli-2: done/);
    const after = await fetch(t.url('/api/vms/cli-2'), { headers: { 'x-functions-key': KEY } });
    assert.ok(after.status === 404 || ((await after.json()) as { status: string }).status === 'deleted');
  });

  test('completion for bash (and zsh) from the command tree', async () => {
    const bash = await vmj(['completion', 'bash'], env);
    assert.equal(bash.code, 0);
    const complete = async (words: string[]) => {
      const script = join(dir, 'complete.sh');
      writeFileSync(script, bash.stdout);
      const cmd = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vmj; echo "\${COMPREPLY[*]}"`;
      // Not execFileSync: the runtime answering `vmj vm list` runs in this process.
      const { execFile } = await import('node:child_process');
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      if (!existsSync(join(bin, 'vmj'))) symlinkSync(VMJ, join(bin, 'vmj'));
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'bash',
          ['-c', cmd],
          {
            encoding: 'utf8',
            env: { ...env, PATH: `${bin}:${dirname(process.execPath)}:${env.PATH ?? ''}` },
          },
          (err: Error | null, stdout: string) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      return out.trim();
    };
    assert.equal(await complete(['vmj', 'vm', 'cr']), 'create');
    assert.equal(await complete(['vmj', 'lo']), 'login logs');
    assert.equal(await complete(['vmj', 'logs', 'web-1', '--li']), '--lines --list-boots');
    assert.equal(await complete(['vmj', 'logs', 'web-1', '-o', 'short-']), 'short-iso short-precise');
    assert.equal(await complete(['vmj', 'vm', 'create', 'x', '--si']), '--size');
    // VM names from the API (vmj on PATH, as after an install).
    assert.equal(await complete(['vmj', 'vm', 'show', 'cli-']), 'cli-1 cli-2 cli-bad'); // as the API lists them
    assert.equal(await complete(['vmj', 'logs', 'cli-b']), 'cli-bad');
    assert.equal(await complete(['vmj', 'vm', 'create', 'cli-']), '', 'a new name is not completed');
    const zsh = await vmj(['completion', 'zsh'], env);
    assert.match(zsh.stdout, /^#compdef vmj\n/);
    assert.equal((await vmj(['completion', 'fish'], env)).code, 2);
  });
});
