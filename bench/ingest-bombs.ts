// Peak memory of the app while hostile clients stream gzip bombs at the ingestion routes
// (npm run bench:bombs; run it under `flock /tmp/bench.lock`). The app runs as `npm start` runs it
// (the local runtime, the app on its own thread of this process); Azurite is a process of its own.
// Bombs, all at once, each a small gzip body that decompresses to BOMB_MIB MiB (default 512):
//  - blank: newlines only (the JSON scanner skips them);
//  - string: one entry whose MESSAGE is the whole bomb (the scanner keeps 4 MiB of it, skips the rest);
//  - fields: one entry with millions of tiny fields (refused at 32 MiB of JSON text);
//  - export: the stock uploader's route, one text field the size of the bomb (kept up to 2 MiB);
//  - entries: valid 1 KiB entries back to back (stored at the byte budget; the read waits on storage).
// BOMBS=a,b runs only those. Each request is ended after BOMB_SECONDS (default 20) if the server has not answered. RSS is sampled
// every 50 ms; printed: the baseline after start-up, the peak during the bombs, and the decompressed
// bytes the server read. The clients' own memory is a few MB of compressed bodies.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';

import { rotateIngestToken } from '../lib/ingest-token';
import type { Services } from '../lib/services';
import { LocalRuntime } from '../local/runtime';
import { testServices } from '../test/helpers/services';

/** The app's Services on the runtime's storage (for the tokens it mints). */
let services: Services;

const MiB = 1024 * 1024;
const BOMB_MIB = Number(process.env.BOMB_MIB ?? 512);
const SECONDS = Number(process.env.BOMB_SECONDS ?? 20);

/** A gzip body: head, ~BOMB_MIB MiB of `unit` repeated, tail; compressed without holding the whole. */
async function bomb(head: string, unit: string, tail: string): Promise<Buffer> {
  const z = createGzip({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => z.on('end', r));
  const block = Buffer.from(unit.length >= MiB ? unit : unit.repeat(Math.floor(MiB / unit.length)));
  z.write(head);
  for (let i = 0; i < BOMB_MIB; i++) if (!z.write(block)) await new Promise((r) => z.once('drain', r));
  z.end(tail);
  await done;
  return Buffer.concat(out);
}

function send(url: string, headers: Record<string, string>, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' } });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(`cut by the client after ${SECONDS} s`);
    }, SECONDS * 1000);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve(`${res.statusCode} ${text.slice(0, 160).replace(/\s+/g, ' ')}`);
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      resolve(`error ${e.message}`);
    });
    // Written in pieces, as a client streaming it would.
    let at = 0;
    const more = () => {
      while (at < body.length) {
        const piece = body.subarray(at, at + 64 * 1024);
        at += piece.length;
        if (!req.write(piece)) return void req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bombs-'));
  const rt = await LocalRuntime.start({ appEntry: 'functions/index.ts', dataDir: dir, log: () => {} });
  try {
    services = testServices(rt.storageConnectionString);
    const now = Date.now() * 1000;
    const cursor = (k: string, i = 1) => `s=bomb${k};i=${i};b=${'ab'.repeat(16)};m=0;t=0;x=0`;
    const headJson = (k: string) =>
      `{"__CURSOR":"${cursor(k)}","__REALTIME_TIMESTAMP":"${now}","_SYSTEMD_UNIT":"bomb.service"`;
    let seq = 0;
    const entry = () =>
      `${JSON.stringify({ __CURSOR: cursor('e', ++seq), __REALTIME_TIMESTAMP: String(now + seq), MESSAGE: 'e'.repeat(1000) })}\n`;
    const entries = Array.from({ length: 1024 }, entry).join('');
    const all: Record<string, Buffer> = {
      blank: await bomb('', '\n', ''),
      string: await bomb(`${headJson('s')},"MESSAGE":"`, 'a', '"}\n'),
      fields: await bomb(headJson('f'), ',"F":"x"', '}\n'),
      export: await bomb(`__CURSOR=${cursor('x')}\n__REALTIME_TIMESTAMP=${now}\nMESSAGE=`, 'a', '\n\n'),
      entries: await bomb('', entries, ''),
    };
    // BOMBS=fields,string runs only those.
    const only = process.env.BOMBS?.split(',');
    const bodies = Object.fromEntries(Object.entries(all).filter(([k]) => !only || only.includes(k)));
    for (const [k, b] of Object.entries(bodies))
      console.log(`bomb ${k}: ${b.length} bytes gzip → ${BOMB_MIB} MiB`);
    await new Promise((r) => setTimeout(r, 2000));
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = Date.now();
    const results = await Promise.all(
      Object.entries(bodies).map(async ([k, body]) => {
        const vm = `bomb-${k}`;
        const token = await rotateIngestToken(services, vm);
        const url =
          k === 'export'
            ? `${rt.baseUrl}/api/ingest/${vm}/${token}/upload`
            : `${rt.baseUrl}/api/vms/${vm}/journal?stream=true`;
        const headers: Record<string, string> =
          k === 'export'
            ? { 'content-type': 'application/vnd.fdo.journal' }
            : { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` };
        return `${k}: ${await send(url, headers, body)}`;
      }),
    );
    clearInterval(sampler);
    for (const r of results) console.log(r);
    console.log(
      `rss_baseline_mib=${(base / MiB).toFixed(0)} rss_peak_mib=${(peak / MiB).toFixed(0)} ` +
        `rss_growth_mib=${((peak - base) / MiB).toFixed(0)} bombs=${Object.keys(bodies).length}x${BOMB_MIB}MiB ` +
        `seconds=${((Date.now() - started) / 1000).toFixed(1)}`,
    );
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
