// `vmj vm …`, like `az vm`: create (with live progress from the events stream), list, show, delete,
// power operations, and ingest-token rotation.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';

import { type Command, Option } from 'commander';

import { type Ctx, ctxOf, intOption } from '../context';
import { UsageError } from '../errors';
import { table } from '../output';
import { type CloudEvent, elapsed, latestEventId, Progress, type VmData, watchVm } from '../vm-progress';

interface VmRecord extends VmData {
  name: string;
  status: string;
  size: string | null;
  vmSize: string;
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
  region: string;
  image: string;
  adminUsername: string;
  resourceGroup: string;
  createdAt: string;
  updatedAt: string;
}

const vmPath = (name: string) => `/api/vms/${encodeURIComponent(name)}`;

/** The SSH public key to send: --ssh-key, else ~/.ssh/id_ed25519.pub, else ~/.ssh/id_rsa.pub, if present. */
export function sshKey(path: string | undefined, home = process.env.HOME || homedir()): string | undefined {
  const candidates = path ? [path] : [join(home, '.ssh', 'id_ed25519.pub'), join(home, '.ssh', 'id_rsa.pub')];
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    return readFileSync(p, 'utf8').trim();
  }
  if (path) throw new UsageError(`--ssh-key: no such file: ${path}`);
  return undefined;
}

function sshLine(vm: VmData): string | undefined {
  const ip = vm.publicIp ?? vm.privateIp;
  return ip ? `ssh ${vm.adminUsername ?? 'azureuser'}@${ip}` : undefined;
}

function printRunning(vm: VmData): void {
  const ip = vm.publicIp ?? vm.privateIp ?? '(none yet)';
  const ssh = sshLine(vm);
  process.stdout.write(`${vm.name} is running\n  IP:  ${ip}\n${ssh ? `  ssh: ${ssh}\n` : ''}`);
}

function failureLine(vm: VmData): string {
  const err = vm.provisioning?.error;
  const step = err?.step ?? vm.provisioning?.step ?? 'unknown step';
  return err ? `${step} failed: ${err.code}: ${err.message}` : `${step} failed`;
}

/** Follows a create until running (0) or failed (1); prints each step as it completes. */
async function waitForCreate(ctx: Ctx, name: string, after: string | undefined): Promise<number> {
  const progress = await Progress.start(ctx, `Creating ${name}: queued`);
  const outcome = await watchVm<{ ok: boolean; vm: VmData }>(ctx, name, after, (e: CloudEvent) => {
    const data = e.data as Record<string, unknown> | undefined;
    switch (e.type) {
      case 'vmjournal.vm.provisioning':
        progress.setPhase(`Creating ${name}: provisioning`);
        return undefined;
      case 'vmjournal.vm.step.completed': {
        const step = data as { name: string; startedAt: string; endedAt?: string };
        const took = step.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : NaN;
        progress.done(`${step.name}${Number.isFinite(took) ? ctx.err.dim(` ${elapsed(took)}`) : ''}`);
        return undefined;
      }
      case 'vmjournal.vm.ip.assigned': {
        const ip = data as { publicIp?: string | null; privateIp?: string | null };
        progress.done(`IP address ${ip.publicIp ?? ip.privateIp ?? ''}`.trim());
        return undefined;
      }
      case 'vmjournal.vm.running':
        return { ok: true, vm: data as VmData };
      case 'vmjournal.vm.failed':
      case 'vmjournal.vm.deleted':
        return { ok: false, vm: data as VmData };
      default:
        return undefined;
    }
  });
  if (!outcome) {
    progress.fail(`Stopped waiting; ${name} goes on in the background (vmj vm show ${name})`);
    return 130;
  }
  if (!outcome.ok) {
    progress.fail(`Creating ${name} failed: ${failureLine(outcome.vm)}`);
    return 1;
  }
  progress.succeed(`Created ${name}`);
  printRunning(outcome.vm);
  return 0;
}

const POWER_TARGET = {
  start: 'running',
  stop: 'stopped',
  restart: 'running',
  deallocate: 'deallocated',
  redeploy: 'running',
};
type Power = keyof typeof POWER_TARGET;

/** Waits for a power operation or a delete to reach its end state (from the events stream). */
async function waitForOperation(
  ctx: Ctx,
  name: string,
  after: string | undefined,
  verb: string,
  done: (e: CloudEvent) => boolean,
): Promise<number> {
  const progress = await Progress.start(ctx, `${verb} ${name}`);
  const outcome = await watchVm<{ ok: boolean; vm?: VmData }>(ctx, name, after, (e) => {
    if (e.type === 'vmjournal.vm.failed') return { ok: false, vm: e.data as VmData };
    return done(e) ? { ok: true } : undefined;
  });
  if (!outcome) {
    progress.fail(`Stopped waiting; the operation goes on in the background (vmj vm show ${name})`);
    return 130;
  }
  if (!outcome.ok) {
    progress.fail(`${verb} ${name} failed: ${failureLine(outcome.vm ?? {})}`);
    return 1;
  }
  progress.succeed(`${verb} ${name}: done`);
  return 0;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} (y/N): `)).trim());
  } finally {
    rl.close();
  }
}

function showText(vm: VmRecord): string {
  const rows: [string, string][] = [
    ['name', vm.name],
    ['status', vm.status],
    [
      'size',
      `${vm.size ?? 'custom'} (${vm.vmSize}, ${vm.cpu} vCPU, ${vm.memoryGiB} GiB, disk ${vm.diskGiB} GiB)`,
    ],
    ['region', vm.region],
    ['image', vm.image],
    ['resource group', vm.resourceGroup],
    ['public IP', vm.publicIp ?? '-'],
    ['private IP', vm.privateIp ?? '-'],
    ['created', vm.createdAt],
    ['updated', vm.updatedAt],
  ];
  const ssh = vm.status === 'running' ? sshLine(vm) : undefined;
  if (ssh) rows.push(['ssh', ssh]);
  if (vm.provisioning?.error) rows.push(['error', failureLine(vm)]);
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n') + '\n';
}

const EXAMPLES = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .description('create and manage VMs (like az vm)')
    .addHelpText(
      'after',
      EXAMPLES(['vmj vm create web-1 --size small', 'vmj vm list', 'vmj vm delete web-1 --yes']),
    );

  vm.command('create')
    .description('create a VM and show its provisioning live')
    .argument('<name>', 'VM name (letters, digits, . _ -)')
    .addOption(new Option('--size <preset>', 'size preset').choices(['small', 'medium', 'large']))
    .option('--cpu <n>', 'vCPUs (the smallest SKU that fits is chosen)', intOption('--cpu', 1, 1024))
    .option('--memory <gib>', 'memory in GiB (with --cpu)', intOption('--memory', 1, 65536))
    .option('--disk <gib>', 'OS disk size in GiB', intOption('--disk', 1, 65536))
    .option('--region <region>', 'Azure region (default: the service default)')
    .option('--ssh-key <path>', 'SSH public key file (default ~/.ssh/id_ed25519.pub, then id_rsa.pub)')
    .option('--no-wait', 'return once the request is accepted')
    .addHelpText(
      'after',
      EXAMPLES([
        'vmj vm create web-1 --size small',
        'vmj vm create db-1 --cpu 4 --memory 16 --disk 128 --region westeurope',
        'vmj vm create ci-1 --ssh-key ~/.ssh/ci.pub --no-wait',
      ]),
    )
    .action(
      async (
        name: string,
        o: {
          size?: string;
          cpu?: number;
          memory?: number;
          disk?: number;
          region?: string;
          sshKey?: string;
          wait: boolean;
        },
        cmd: Command,
      ) => {
        if (o.size && (o.cpu !== undefined || o.memory !== undefined))
          throw new UsageError('give --size or --cpu/--memory, not both');
        const ctx = ctxOf(cmd);
        const key = sshKey(o.sshKey);
        const body = {
          name,
          ...(o.size ? { size: o.size } : {}),
          ...(o.cpu !== undefined ? { cpu: o.cpu } : {}),
          ...(o.memory !== undefined ? { memoryGiB: o.memory } : {}),
          ...(o.disk !== undefined ? { diskGiB: o.disk } : {}),
          ...(o.region ? { region: o.region } : {}),
          ...(key ? { sshPublicKey: key } : {}),
        };
        const after = o.wait ? await latestEventId(ctx) : undefined;
        const record = await ctx.client.json<VmRecord>('POST', '/api/vms', body);
        if (!o.wait) {
          process.stdout.write(JSON.stringify(record, null, 2) + '\n');
          return;
        }
        process.exitCode = await waitForCreate(ctx, name, after);
      },
    );

  vm.command('list')
    .description('list VMs')
    .addOption(
      new Option('-o, --output <format>', 'output format (tsv: no header, for scripts)')
        .choices(['table', 'json', 'tsv'])
        .default('table'),
    )
    .addHelpText('after', EXAMPLES(['vmj vm list', 'vmj vm list -o json', 'vmj vm list -o tsv | cut -f1']))
    .action(async (o: { output: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const all: VmRecord[] = [];
      for await (const page of ctx.client.pages<VmRecord>('/api/vms?limit=1000')) all.push(...page);
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify(all, null, 2) + '\n');
        return;
      }
      const rows = all.map((v) => [
        v.name,
        v.status,
        v.size ?? v.vmSize,
        v.region,
        v.publicIp ?? '-',
        v.createdAt,
      ]);
      if (o.output === 'tsv') process.stdout.write(rows.map((r) => r.join('\t') + '\n').join(''));
      else
        process.stdout.write(
          table(['NAME', 'STATUS', 'SIZE', 'REGION', 'PUBLIC IP', 'CREATED'], rows, ctx.out),
        );
    });

  vm.command('show')
    .description('show one VM')
    .argument('<name>')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', EXAMPLES(['vmj vm show web-1', 'vmj vm show web-1 -o json']))
    .action(async (name: string, o: { output: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const record = await ctx.client.json<VmRecord>('GET', vmPath(name));
      process.stdout.write(o.output === 'json' ? JSON.stringify(record, null, 2) + '\n' : showText(record));
    });

  vm.command('delete')
    .description('delete a VM and everything created for it')
    .argument('<name>')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--no-wait', 'return once the request is accepted')
    .addHelpText('after', EXAMPLES(['vmj vm delete web-1', 'vmj vm delete web-1 --yes --no-wait']))
    .action(async (name: string, o: { yes?: boolean; wait: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (
        !o.yes &&
        process.stdin.isTTY &&
        !(await confirm(`Delete VM ${name} and everything created for it?`))
      ) {
        process.stderr.write('Not deleted.\n');
        process.exitCode = 1;
        return;
      }
      const after = o.wait ? await latestEventId(ctx) : undefined;
      await ctx.client.request('DELETE', vmPath(name));
      if (!o.wait) {
        process.stderr.write(`Deleting ${name} (accepted)\n`);
        return;
      }
      process.exitCode = await waitForOperation(
        ctx,
        name,
        after,
        'Deleting',
        (e) => e.type === 'vmjournal.vm.deleted',
      );
    });

  for (const command of Object.keys(POWER_TARGET) as Power[]) {
    const target = POWER_TARGET[command];
    vm.command(command)
      .description(`${command} a VM (waits until ${target})`)
      .argument('<name>')
      .option('--no-wait', 'return once the request is accepted')
      .addHelpText('after', EXAMPLES([`vmj vm ${command} web-1`, `vmj vm ${command} web-1 --no-wait`]))
      .action(async (name: string, o: { wait: boolean }, cmd: Command) => {
        const ctx = ctxOf(cmd);
        const after = o.wait ? await latestEventId(ctx) : undefined;
        await ctx.client.request('POST', `${vmPath(name)}/${command}`);
        if (!o.wait) {
          process.stderr.write(`${command} ${name} (accepted)\n`);
          return;
        }
        const verb = `${command[0]!.toUpperCase()}${command.slice(1)}`;
        process.exitCode = await waitForOperation(ctx, name, after, verb, (e) => {
          const status = (e.data as { status?: string } | undefined)?.status;
          return e.type === 'vmjournal.vm.power.changed' && status === target;
        });
      });
  }

  vm.command('token')
    .description("rotate the VM's ingest token (the old one stops working) and print the ingest URLs")
    .argument('<name>')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', EXAMPLES(['vmj vm token web-1', 'vmj vm token web-1 -o json']))
    .action(async (name: string, o: { output: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const t = await ctx.client.json<{ token: string; ingestUrl: string; uploadUrl: string }>(
        'POST',
        `${vmPath(name)}/ingest-token`,
      );
      process.stdout.write(
        o.output === 'json'
          ? JSON.stringify(t, null, 2) + '\n'
          : `token:      ${t.token}\ningest URL: ${t.ingestUrl}\nupload URL: ${t.uploadUrl}\n`,
      );
    });
}
