// Volume charts from GET /api/vms/{name}/journal/stats, drawn with uPlot (canvas): entries per bucket
// stacked by priority or by unit (top units, the rest as "other"). Stacking is done here: each series
// is the running sum of the ones below it, drawn as bars from the previous sum.
import 'uplot/dist/uPlot.min.css';

import uPlot from 'uplot';

export interface Stats {
  bucket: '1m' | '1h';
  by: 'priority' | 'unit';
  times: string[];
  series: { key: string; total: number; counts: number[] }[];
  total: number;
}

export const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const PRIORITY_COLOURS = [
  '#b00020',
  '#b00020',
  '#b00020',
  '#d32f2f',
  '#c77700',
  '#1f5fbf',
  '#3b3b3b',
  '#8a8a8a',
];
const UNIT_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
export const TOP_UNITS = 7;

export const seriesLabel = (by: Stats['by'], key: string) =>
  by === 'priority' ? (PRIORITY_NAMES[Number(key)] ?? 'none') : key;

/** The series to draw: priorities in journalctl order; units: the top TOP_UNITS plus "other". */
export function chartSeries(s: Stats): { label: string; counts: number[]; colour: string }[] {
  if (s.by === 'priority')
    return [...s.series]
      .sort((a, b) => Number(a.key) - Number(b.key))
      .map((x) => ({
        label: seriesLabel('priority', x.key),
        counts: x.counts,
        colour: PRIORITY_COLOURS[Number(x.key)] ?? '#999',
      }));
  const top = s.series
    .slice(0, TOP_UNITS)
    .map((x, i) => ({ label: x.key, counts: x.counts, colour: UNIT_COLOURS[i]! }));
  const rest = s.series.slice(TOP_UNITS);
  if (rest.length)
    top.push({
      label: 'other',
      counts: s.times.map((_, i) => rest.reduce((n, x) => n + (x.counts[i] ?? 0), 0)),
      colour: '#bbbbbb',
    });
  return top;
}

export function drawChart(el: HTMLElement, s: Stats, width: number): uPlot {
  const series = chartSeries(s);
  const xs = s.times.map((t) => Date.parse(t) / 1000);
  const stacked: number[][] = [];
  series.forEach((x, i) => stacked.push(x.counts.map((c, j) => c + (i > 0 ? stacked[i - 1]![j]! : 0))));
  const bars = uPlot.paths.bars!({ size: [0.9, 40] });
  const opts: uPlot.Options = {
    width,
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { label: 'entries', size: 50 }],
    series: [
      {},
      ...series.map((x) => ({
        label: x.label,
        stroke: x.colour,
        fill: x.colour,
        paths: bars,
        points: { show: false },
        value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
          idx === null ? '–' : String(x.counts[idx] ?? 0),
      })),
    ],
  };
  // uPlot draws series in order; reverse so the running sums of lower series cover upper ones.
  const order = series.map((_, i) => series.length - 1 - i);
  const data: uPlot.AlignedData = [xs, ...stacked];
  const o2: uPlot.Options = { ...opts, series: [opts.series[0]!, ...order.map((i) => opts.series[i + 1]!)] };
  return new uPlot(o2, [data[0], ...order.map((i) => data[i + 1]!)] as uPlot.AlignedData, el);
}
