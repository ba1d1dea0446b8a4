// `vmj logs NAME`, like journalctl: the same short flags and meanings, mapped onto the journal API's
// query parameters. Only what the API cannot express is done here: a priority range's lower bound
// (`-p err..warning` asks the API for `warning` and drops the more severe levels), positive boot
// offsets (`-b 1` = the first boot, resolved through /boots), and -n with such a filter.
import { type Command, Option } from 'commander';

import { type Ctx, ctxOf } from '../context';
import { UsageError } from '../errors';
import { type ApiEntry, JournalFormatter, OUTPUT_MODES, type OutputMode } from '../journal-format';
import { openSink, table } from '../output';
import { timeOption } from '../time';

const PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
/** The API's page size limit. */
const PAGE = 1000;

export interface LogsOptions {
  unit?: string[];
  boot?: string | true;
  priority?: string;
  since?: string;
  until?: string;
  grep?: string;
  lines?: string | true;
  reverse?: boolean;
  follow?: boolean;
  output: OutputMode;
  pager: boolean;
  listBoots?: boolean;
}

function priorityNumber(p: string): number {
  const i = /^[0-7]$/.test(p) ? Number(p) : PRIORITIES.indexOf(p.toLowerCase());
  if (i < 0) throw new UsageError(`-p: '${p}' is not 0–7 or one of ${PRIORITIES.join(', ')}`);
  return i;
}

/** `-p X` → levels 0..X; `-p X..Y` → levels X..Y (either order), as journalctl. */
export function priorityRange(p: string): { min: number; max: number } {
  const m = /^([^.]*)\.\.([^.]*)$/.exec(p);
  if (!m) return { min: 0, max: priorityNumber(p) };
  const a = m[1] ? priorityNumber(m[1]) : 0;
  const b = m[2] ? priorityNumber(m[2]) : 7;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

interface Boot {
  index: number;
  bootId: string;
  first: string;
  last: string;
  count?: number;
}

/** `-b` (current), `-b 0`, `-b -1`, `-b 1` (first boot), `-b ID`, as the API's `boot`. */
async function bootParam(ctx: Ctx, name: string, boot: string | true): Promise<string> {
  if (boot === true) return 'current';
  const b = boot.trim();
  if (b === 'all' || b === 'current' || /^[0-9a-fA-F]{32}$/.test(b)) return b;
  if (/^(0|-\d+)$/.test(b)) return b;
  const pos = /^\+?(\d+)$/.exec(b);
  if (!pos)
    throw new UsageError(`-b: '${b}' is not a boot id or offset (-b, -b 0, -b -1, -b 1); put NAME before -b`);
  const boots = (
    await ctx.client.json<{ items: Boot[] }>('GET', `/api/vms/${encodeURIComponent(name)}/boots`)
  ).items;
  const found = boots[Number(pos[1]) - 1];
  if (!found) throw new UsageError(`-b: no boot ${b} (${boots.length} known)`);
  return found.bootId;
}

/** -n: a count, `all`, or 10 when given without a value (as journalctl). */
function linesOption(lines: string | true | undefined): number | undefined {
  if (lines === undefined || lines === 'all') return undefined;
  if (lines === true) return 10;
  if (!/^\d+$/.test(lines)) throw new UsageError(`-n: '${lines}' is not a number or all`);
  return Number(lines);
}

export async function runLogs(ctx: Ctx, name: string, o: LogsOptions): Promise<void> {
  const vmJournal = `/api/vms/${encodeURIComponent(name)}/journal`;
  const lines = linesOption(o.lines);
  const prio = o.priority ? priorityRange(o.priority) : undefined;
  if (o.follow && o.reverse) throw new UsageError('-f and -r cannot be used together');
  const q = new URLSearchParams();
  for (const u of o.unit ?? []) q.append('unit', u);
  if (o.boot !== undefined) q.set('boot', await bootParam(ctx, name, o.boot));
  if (prio) q.set('priority', String(prio.max));
  const now = new Date();
  if (o.since) q.set('since', timeOption('-S/--since', o.since, now));
  if (o.until) q.set('until', timeOption('-U/--until', o.until, now));
  if (o.grep) q.set('grep', o.grep);
  // The lower bound of a priority range is the one selection the API cannot express.
  const keep = (e: ApiEntry) => !prio || prio.min === 0 || (e.priority !== null && e.priority >= prio.min);
  const formatter = new JournalFormatter(o.output, o.output.startsWith('short') ? ctx.out : undefined);

  if (o.follow) return follow(ctx, vmJournal, q, lines, keep, formatter);

  const sink = openSink({ pager: o.pager });
  const newestFirst = lines !== undefined || o.reverse;
  q.set('order', newestFirst ? 'desc' : 'asc');
  // With -n and no client-side filter, one page of exactly N is enough.
  const exact = lines !== undefined && (!prio || prio.min === 0);
  q.set('limit', String(exact ? Math.min(Math.max(lines, 1), PAGE) : PAGE));
  const collected: ApiEntry[] = [];
  for await (const page of ctx.client.pages<ApiEntry>(`${vmJournal}?${q.toString()}`)) {
    const kept = page.filter(keep);
    if (lines === undefined) {
      sink.write(kept.map((e) => formatter.format(e)).join(''));
      if (sink.closed || ctx.signal.aborted) break;
      continue;
    }
    collected.push(...kept);
    if (collected.length >= lines) break;
  }
  if (lines !== undefined) {
    // -n N: the newest N, printed oldest first (newest first with -r), as journalctl.
    const newest = collected.slice(0, lines);
    if (!o.reverse) newest.reverse();
    sink.write(newest.map((e) => formatter.format(e)).join(''));
  }
  await sink.end();
}

async function follow(
  ctx: Ctx,
  vmJournal: string,
  q: URLSearchParams,
  lines: number | undefined,
  keep: (e: ApiEntry) => boolean,
  formatter: JournalFormatter,
): Promise<void> {
  let lastEventId: string | undefined;
  if (lines === 0) {
    // -n 0 -f: nothing old, only what comes next: start after the newest entry of the selection.
    const newest = await ctx.client.json<{ items: ApiEntry[] }>(
      'GET',
      `${vmJournal}?${q.toString()}&order=desc&limit=1`,
    );
    lastEventId = newest.items[0]?.offset;
  } else if (lines !== undefined) {
    if (lines > PAGE) throw new UsageError(`-n: at most ${PAGE} with -f`);
    q.set('limit', String(lines));
  }
  q.set('follow', 'true');
  let lastOffset = lastEventId ?? '';
  const stream = ctx.client.sse(`${vmJournal}?${q.toString()}`, {
    signal: ctx.signal,
    ...(lastEventId ? { lastEventId } : {}),
    onReconnect: (reason) => {
      if (process.stderr.isTTY) process.stderr.write(ctx.err.dim(`-- reconnecting (${reason}) --\n`));
    },
  });
  for await (const m of stream) {
    if (m.event === 'error') {
      process.stderr.write(`vmj: the stream reported an error: ${m.data}\n`);
      continue;
    }
    if (m.event && m.event !== 'message') continue;
    const e = JSON.parse(m.data) as ApiEntry;
    // Offsets sort in journal order: never print one twice, even if a server resends it.
    if (e.offset <= lastOffset) continue;
    lastOffset = e.offset;
    if (keep(e)) process.stdout.write(formatter.format(e));
  }
}

async function listBoots(ctx: Ctx, name: string, output: OutputMode): Promise<void> {
  const boots = (
    await ctx.client.json<{ items: Boot[] }>('GET', `/api/vms/${encodeURIComponent(name)}/boots`)
  ).items;
  if (output.startsWith('json')) {
    process.stdout.write(JSON.stringify(boots, null, output === 'json-pretty' ? 2 : undefined) + '\n');
    return;
  }
  const rows = boots.map((b) => [String(b.index), b.bootId, localTime(b.first), localTime(b.last)]);
  process.stdout.write(table(['IDX', 'BOOT ID', 'FIRST ENTRY', 'LAST ENTRY'], rows, ctx.out));
}

/** `Thu 2026-12-03 13:00:00 UTC`-like, in the local time zone, as journalctl's tables. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = d.toLocaleDateString('en-US', { weekday: 'short' });
  const zone = Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(d)
    .find((x) => x.type === 'timeZoneName')?.value;
  return `${day} ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone ? ` ${zone}` : ''}`;
}

const EXAMPLES = `
Examples:
  $ vmj logs web-1 -u ssh.service -b          # this boot's ssh log
  $ vmj logs web-1 -b -1 -p err               # errors of the previous boot
  $ vmj logs web-1 -p err..warning -S -1h     # errors and warnings of the last hour
  $ vmj logs web-1 -S "2026-12-01 10:00:00" -U "2026-12-01 11:00:00"
  $ vmj logs web-1 -g timeout -n 50 -r        # the newest 50 lines with "timeout", newest first
  $ vmj logs web-1 -f -o json                 # live tail, one JSON object per line
  $ vmj logs web-1 --list-boots

-g is a case-insensitive substring (the API's grep), not a regular expression.
`;

export function registerLogs(program: Command): void {
  const collect = (v: string, all: string[] = []) => [...all, v];
  program
    .command('logs')
    .description("query or follow a VM's systemd journal (like journalctl)")
    .argument('<name>', 'VM name')
    .option('-u, --unit <unit>', 'only this unit (repeatable)', collect)
    .option('-b, --boot [id]', 'this boot (default current; 0, -1, -2…, 1 = first, or a boot id)')
    .option('-p, --priority <level>', 'this level and more severe, or a range X..Y (0–7 or emerg…debug)')
    .option('-S, --since <time>', 'from this time ("2026-12-01 10:00:00", yesterday, today, now, -1h)')
    .option('-U, --until <time>', 'up to this time (same forms as --since)')
    .option('-g, --grep <text>', 'only entries whose message contains this text (case-insensitive)')
    .option('-n, --lines [n]', 'the newest N entries (default 10; "all" for all)')
    .option('-r, --reverse', 'newest first')
    .option('-f, --follow', 'print new entries as they arrive (Ctrl-C ends)')
    .addOption(new Option('-o, --output <mode>', 'output mode').choices([...OUTPUT_MODES]).default('short'))
    .option('--no-pager', 'do not pipe output into a pager')
    .option('--list-boots', 'list the boots of the VM')
    .addHelpText('after', EXAMPLES)
    .action(async (name: string, o: LogsOptions, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (o.listBoots) return listBoots(ctx, name, o.output);
      await runLogs(ctx, name, o);
    });

  program
    .command('units')
    .description('units seen in a VM journal, with entry counts and first/last time')
    .argument('<name>', 'VM name')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addHelpText('after', '\nExamples:\n  $ vmj units web-1\n  $ vmj units web-1 -o json\n')
    .action(async (name: string, o: { output: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const units = (
        await ctx.client.json<{ items: { unit: string; count: number; first: string; last: string }[] }>(
          'GET',
          `/api/vms/${encodeURIComponent(name)}/units`,
        )
      ).items;
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify(units, null, 2) + '\n');
        return;
      }
      const rows = units.map((u) => [u.unit, String(u.count), localTime(u.first), localTime(u.last)]);
      process.stdout.write(table(['UNIT', 'ENTRIES', 'FIRST', 'LAST'], rows, ctx.out));
    });
}
