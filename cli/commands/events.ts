// `vmj events`: the lifecycle log (CloudEvents), listed or followed over SSE with resume.
// --since has no API parameter: event ids start with their time in ms (the id pattern the OpenAPI
// documents, "ids increase with time"), so it becomes `after=` the last possible id of the millisecond
// before, and each event's `time` is checked as well.
import { type Command, Option } from 'commander';

import { type Ctx, ctxOf } from '../context';
import { timeOption } from '../time';
import type { CloudEvent, VmData } from '../vm-progress';

const PAGE = 1000;

export function afterIdFor(sinceIso: string): string {
  return `${String(Date.parse(sinceIso) - 1).padStart(13, '0')}-999999-ffffff`;
}

/** One line: time, subject, type (without the vmjournal.vm. prefix), and what changed. */
export function eventLine(e: CloudEvent, ctx?: Ctx): string {
  const d = (e.data ?? {}) as Record<string, string | null | undefined>;
  const type = e.type.replace(/^vmjournal\.vm\./, '');
  let what = '';
  if (type === 'step.completed') what = `${d.name} ${d.status ?? ''}`.trim();
  else if (type === 'ip.assigned') what = d.publicIp ?? d.privateIp ?? '';
  else if (type === 'power.changed') what = `${d.command} → ${d.status}`;
  else if (type === 'failed') {
    const err = (e.data as VmData | undefined)?.provisioning?.error;
    what = err ? `${err.step ?? ''} ${err.code}: ${err.message}`.trim() : '';
  } else if (typeof d.status === 'string') what = d.status;
  if (what === type) what = '';
  const t = e.time ? e.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '';
  const paint = type === 'failed' && ctx ? ctx.out.red : (s: string) => s;
  return paint(`${t}  ${e.subject ?? '-'}  ${type}${what ? `  ${what}` : ''}`) + '\n';
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('VM lifecycle events (queued, steps, IP, running, power, failed, deleted)')
    .option('-f, --follow', 'print new events as they happen (Ctrl-C ends)')
    .option('-S, --since <time>', 'from this time ("2026-12-01 10:00:00", today, -1h)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['short', 'json']).default('short'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ vmj events                 # the latest events\n  $ vmj events -S -1h -o json\n  $ vmj events -f\n',
    )
    .action(async (o: { follow?: boolean; since?: string; output: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const since = o.since ? timeOption('-S/--since', o.since) : undefined;
      const print = (e: CloudEvent) => {
        if (since && e.time && e.time < since) return;
        process.stdout.write(o.output === 'json' ? JSON.stringify(e) + '\n' : eventLine(e, ctx));
      };
      let after = since ? afterIdFor(since) : undefined;
      if (!o.follow || since) {
        // A listing: the latest page, or every event since the time.
        let batch: CloudEvent[];
        do {
          const path = after ? `/api/events?after=${after}&limit=${PAGE}` : `/api/events?limit=100`;
          batch = await ctx.client.json<CloudEvent[]>('GET', path);
          batch.forEach(print);
          after = batch.at(-1)?.id ?? after;
        } while (since && batch.length === PAGE && !ctx.signal.aborted);
        if (!o.follow) return;
      }
      const path = `/api/events?watch=true${after ? `&after=${after}` : ''}`;
      let last = after ?? '';
      for await (const m of ctx.client.sse(path, { signal: ctx.signal })) {
        if (m.event && m.event !== 'message') continue;
        const e = JSON.parse(m.data) as CloudEvent;
        if (e.id <= last && m.id) continue;
        last = e.id > last ? e.id : last;
        print(e);
      }
    });
}
