// journalctl's --since/--until forms (systemd.time(7)), resolved on the client in its local time zone,
// as journalctl does, and sent to the API as an absolute ISO 8601 time: `2026-12-01 10:00:00`,
// `2026-12-01`, `10:00`, `now`, `today`, `yesterday`, `tomorrow`, `-1h`, `+5min`, `1h 30min ago`,
// `@1764583200`, and ISO 8601 with `T` and a zone.
import { UsageError } from './errors';

const SPAN_USEC: [RegExp, number][] = [
  [/^(us|usec|µs)$/, 1],
  [/^(ms|msec)$/, 1e3],
  [/^(s|sec|secs|second|seconds)$/, 1e6],
  [/^(m|min|mins|minute|minutes)$/, 60e6],
  [/^(h|hr|hrs|hour|hours)$/, 3600e6],
  [/^(d|day|days)$/, 86400e6],
  [/^(w|week|weeks)$/, 604800e6],
  [/^(M|month|months)$/, 2629800e6], // 30.44 days, as systemd
  [/^(y|year|years)$/, 31557600e6], // 365.25 days, as systemd
];

/** A systemd time span such as `5min`, `1h 30min`, `2d`, in microseconds; a bare number is seconds. */
export function parseSpan(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)\s*([a-zA-Zµ]*)\s*/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  let usec = 0;
  for (const [, n, unit] of parts) {
    const factor = unit === '' ? 1e6 : SPAN_USEC.find(([re]) => re.test(unit!))?.[1];
    if (factor === undefined) return undefined;
    usec += Number(n) * factor;
  }
  return usec;
}

const midnight = (d: Date, days: number) =>
  new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, 0, 0, 0, 0);

/** Resolves a journalctl time to a Date, or undefined if the text is not one. */
export function parseJournalTime(value: string, now: Date = new Date()): Date | undefined {
  const v = value.trim();
  const named: Record<string, () => Date> = {
    now: () => now,
    today: () => midnight(now, 0),
    yesterday: () => midnight(now, -1),
    tomorrow: () => midnight(now, 1),
  };
  if (named[v]) return named[v]();
  const rel = /^([+-])\s*(.+)$/.exec(v) ?? /^(.+?)\s+(ago|left)$/.exec(v);
  if (rel) {
    const [sign, span] =
      rel[1] === '+' || rel[1] === '-' ? [rel[1], rel[2]!] : [rel[2] === 'ago' ? '-' : '+', rel[1]!];
    const usec = parseSpan(span);
    if (usec === undefined) return undefined;
    return new Date(now.getTime() + (sign === '-' ? -1 : 1) * Math.round(usec / 1000));
  }
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(v);
  if (epoch) return new Date(Math.round(Number(epoch[1]) * 1000));
  // Date and/or time of day; local time unless a zone (Z, UTC, ±hh:mm) is given.
  const m =
    /^(?:(\d{4})-(\d{2})-(\d{2}))?(?:(?:^|[T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/.exec(
      v,
    );
  if (!m || (!m[1] && !m[4])) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const day = y ? [Number(y), Number(mo) - 1, Number(d)] : [now.getFullYear(), now.getMonth(), now.getDate()];
  const time = [
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
    Math.floor(Number((frac ?? '0').padEnd(6, '0')) / 1000),
  ];
  if (day[1]! > 11 || day[2]! < 1 || day[2]! > 31 || time[0]! > 23 || time[1]! > 59 || time[2]! > 60)
    return undefined;
  let ms: number;
  if (zone) {
    ms = Date.UTC(day[0]!, day[1], day[2], time[0], time[1], time[2], time[3]);
    const off = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (off) ms -= (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) * 60_000;
  } else ms = new Date(day[0]!, day[1]!, day[2], time[0], time[1], time[2], time[3]).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** For an option: the time as ISO 8601, or a usage error naming the option. */
export function timeOption(option: string, value: string, now?: Date): string {
  const d = parseJournalTime(value, now);
  if (!d)
    throw new UsageError(
      `${option}: not a time: '${value}' (use "2026-12-01 10:00:00", today, yesterday, now, -1h, +5min)`,
    );
  return d.toISOString();
}
