// The web console in real Chromium against the local runtime: create a VM from the page and watch it
// reach running live; its journal with filters and paging; a row's fields; the live tail (also across a
// dropped connection); an XSS entry rendered as text; charts that match /journal/stats; the events log;
// delete; keyboard only for the main actions; no console errors; the key never in a URL.
// Screenshots of each view go to test-output/web/ (gitignored).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { eventually } from '../helpers/runtime';
import { sshPublicKey } from '../vms/helpers';
import {
  type ConsoleRuntime,
  FUNCTION_KEY,
  launchChromium,
  OUTPUT,
  startConsoleRuntime,
  startDropProxy,
} from './helpers';

const XSS = '<img src=x onerror=alert(1)>';
const VM = 'web-1';

describe('web console in Chromium', () => {
  let rt: ConsoleRuntime;
  let browser: Browser;
  let page: Page;
  let proxy: Awaited<ReturnType<typeof startDropProxy>>;
  const problems: string[] = [];
  const urls: string[] = [];
  const figures: Record<string, number> = {};

  before(async () => {
    rt = await startConsoleRuntime({ trickleIntervalMs: 0 });
    // The browser talks to the runtime through a proxy that can cut its connections.
    proxy = await startDropProxy(rt.t.url('/'));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      if (d.type() === 'confirm') void d.accept();
      else {
        problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
        void d.dismiss();
      }
    });
    page.on('request', (r) => urls.push(r.url()));
  });
  after(async () => {
    writeFileSync(join(OUTPUT, 'figures.json'), JSON.stringify(figures, null, 2));
    await browser?.close();
    await proxy?.close();
    await rt?.dispose();
  });

  it('serves the page with no cache, hashed assets with a long cache, both with a strict CSP', async () => {
    const res = await fetch(rt.t.url('/api/ui/'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of [
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "default-src 'none'",
    ])
      assert.ok(csp.includes(d), `CSP has ${d}`);
    assert.ok(!/script-src[^;]*unsafe-inline/.test(csp), 'no inline script');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    const js = /src="(assets\/app-[A-Za-z0-9]+\.js)"/.exec(html)?.[1];
    assert.ok(js, 'hashed script name');
    const asset = await fetch(rt.t.url(`/api/ui/${js}`));
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
    await asset.arrayBuffer();
    const redirect = await fetch(rt.t.url('/api/ui'), { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get('location'), '/api/ui/');
    for (const bad of ['/api/ui/assets/nope.js', '/api/ui/../host.json', '/api/ui/assets/app.exe']) {
      const r = await fetch(rt.t.url(bad));
      assert.equal(r.status, 404, bad);
      await r.arrayBuffer();
    }
  });

  it('asks for the function key once (keyboard), then lists the fleet', async () => {
    await page.goto(proxy.url('/api/ui/'));
    const input = page.locator('#key-input');
    await input.waitFor();
    await page.keyboard.type(FUNCTION_KEY); // the dialog focuses the field
    await page.keyboard.press('Enter');
    await page.waitForSelector('#view[data-ready="true"]');
    assert.equal(await page.evaluate('sessionStorage.getItem("vmj.functionKey")'), FUNCTION_KEY);
    await page.getByTestId('fleet-live').filter({ hasText: 'live' }).waitFor();
  });

  it('creates a VM from the page and shows its steps and running status live, without a reload', async () => {
    await page.evaluate('window.__noReload = true');
    // Keyboard: open the form, fill it, submit with Enter in the name field.
    await page.locator('details.create-box summary').focus();
    await page.keyboard.press('Enter');
    await page.locator('#new-key').fill(sshPublicKey());
    await page.locator('#new-name').focus();
    await page.keyboard.type(VM);
    await page.keyboard.press('Enter');
    const row = page.locator(`tr[data-vm="${VM}"]`);
    await row.waitFor();
    await row.getByTestId('step').waitFor({ timeout: 30_000 }); // a provisioning step is shown
    await page.screenshot({ path: join(OUTPUT, 'fleet-provisioning.png') });
    await row.locator('.status', { hasText: /^running$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate('window.__noReload'), true, 'no page reload');
    assert.notEqual(await row.locator('[data-col="ip"]').textContent(), '—');
  });

  it('shows the journal newest first; the XSS entry is text; filters by unit and priority; pages back', async () => {
    // 250 entries of one unit (3 pages of 100), one of them an error with markup, and a binary field.
    await rt.write(
      VM,
      Array.from({ length: 250 }, (_, i) => ({
        MESSAGE: i === 200 ? XSS : `paging entry ${i}`,
        PRIORITY: i === 200 ? '3' : i % 2 ? '6' : '4',
        ...(i === 200 ? { BLOB: Buffer.from([0xff, 0xfe, 0x00, 0x41]) } : {}),
      })),
    );
    await eventually(async () => {
      const r = await rt.api<{ items: unknown[] }>(
        'GET',
        `/vms/${VM}/journal?unit=web-test.service&limit=1000`,
      );
      return r.body.items.length === 250;
    }, 30_000);
    await page.locator(`tr[data-vm="${VM}"] th a`).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('journal').and(page.locator('[data-ready="true"]')).waitFor();
    const units = page.locator('#f-units');
    await page
      .locator('#f-units option[value="web-test.service"]')
      .waitFor({ state: 'attached', timeout: 30_000 });

    // Unit filter, every page: 250 rows, newest first, by scrolling (infinite scroll).
    await units.selectOption(['web-test.service']);
    await page.locator('form.filters button[type="submit"]').click();
    const rows = page.locator('ol.journal > li');
    await page.locator('ol.journal[data-ready]').waitFor();
    for (let i = 0; i < 10 && (await rows.count()) < 250; i++) {
      await page.locator('.sentinel').scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
    }
    assert.equal(await rows.count(), 250);
    const msgs = await page.locator('ol.journal > li .msg').allTextContents();
    assert.equal(msgs[0], 'paging entry 249');
    assert.equal(msgs.at(-1), 'paging entry 0');
    assert.ok(
      (
        await page.locator('ol.journal > li').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-unit')))
      ).every((u) => u === 'web-test.service'),
    );

    // Priority range warning..err (3..4) of that unit: the XSS entry (3) and the warnings (4).
    await page.locator('#f-pfrom').selectOption('3');
    await page.locator('#f-pto').selectOption('4');
    await page.locator('form.filters button[type="submit"]').click();
    await page.locator('ol.journal[data-ready]').waitFor();
    for (let i = 0; i < 10 && (await rows.count()) < 125; i++) {
      await page.locator('.sentinel').scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
    }
    const priorities = await rows.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-priority')));
    assert.equal(priorities.length, 125); // 124 warnings and the error
    assert.ok(
      priorities.every((p) => p === '3' || p === '4'),
      priorities.join(','),
    );
    const xss = page.locator('ol.journal > li.p3');
    await xss.first().waitFor();
    assert.equal(await xss.first().locator('.msg').textContent(), XSS);
    assert.equal(await page.locator('ol.journal img').count(), 0, 'no element from journal text');

    // Expand with the keyboard: every field, the binary one as base64.
    await xss.first().locator('button.line').focus();
    await page.keyboard.press('Enter');
    const fields = xss.first().locator('dl.fields');
    await fields.waitFor();
    const dts = await fields.locator('dt').allTextContents();
    assert.ok(dts.includes('MESSAGE') && dts.includes('_BOOT_ID'), dts.join(','));
    assert.ok(dts.includes('BLOB (base64)'), dts.join(','));
    assert.ok(
      (await fields.locator('dd').allTextContents()).includes(
        Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'),
      ),
    );
    await page.screenshot({ path: join(OUTPUT, 'journal.png'), fullPage: false });
  });

  it('live tail shows an entry the guest writes, and resumes after a dropped connection', async () => {
    await page.locator('#f-pfrom').selectOption('0');
    await page.locator('#f-pto').selectOption('7');
    await page.locator('form.filters button[type="submit"]').click();
    await page.locator('#f-follow').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('tail-state').filter({ hasText: 'following' }).waitFor();
    const t0 = Date.now();
    await rt.write(VM, [{ MESSAGE: 'live tail entry one' }]);
    await page
      .locator('ol.journal > li .msg', { hasText: 'live tail entry one' })
      .waitFor({ timeout: 15_000 });
    figures.liveTailMs = Date.now() - t0;

    // Drop the connection: the page reconnects with Last-Event-ID and misses nothing, duplicates nothing.
    const logged = problems.length;
    proxy.drop();
    await page.getByTestId('tail-state').filter({ hasText: 'reconnecting' }).waitFor();
    // The cut streams are logged by Chromium as network errors: expected here, and only here.
    const cut = problems.splice(logged);
    assert.ok(
      cut.every((p) => /net::ERR_/.test(p)),
      cut.join('\n'),
    );
    await rt.write(VM, [{ MESSAGE: 'written while offline' }]);
    await page
      .locator('ol.journal > li .msg', { hasText: 'written while offline' })
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('tail-state').filter({ hasText: 'following' }).waitFor();
    assert.equal(await page.locator('ol.journal > li .msg', { hasText: 'live tail entry one' }).count(), 1);

    // An entry with a repeated field, sent as the agent sends (its ingest token, journalctl -o json):
    // the tail shows it, and its fields list both values.
    const { handle } = await rt.guest(VM);
    const token = readFileSync(join(handle.root, 'etc', 'ingest-token'), 'utf8').trim();
    const usec = Date.now() * 1000;
    const posted = await fetch(rt.t.url(`/api/vms/${VM}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({
        __CURSOR: `s=${'e'.repeat(32)};i=1;b=${'e'.repeat(32)};m=1;t=${usec.toString(16)};x=1`,
        __REALTIME_TIMESTAMP: String(usec),
        _BOOT_ID: 'e'.repeat(32),
        _SYSTEMD_UNIT: 'web-test.service',
        PRIORITY: '6',
        MESSAGE: 'repeated fields',
        TAG: ['first', 'second'],
      }),
    });
    assert.equal(posted.status, 200, await posted.text());
    const repeated = page.locator('ol.journal > li', { hasText: 'repeated fields' });
    await repeated.locator('button.line').click({ timeout: 15_000 });
    assert.deepEqual(await repeated.locator('dl.fields dd ul li').allTextContents(), ['first', 'second']);
    await page.locator('#f-follow').uncheck();
  });

  it('charts show non-zero counts that match /journal/stats', async () => {
    const [byPriority] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/journal/stats') && r.url().includes('by=priority')),
      page.locator('#chart-range').selectOption('6h'),
    ]);
    const stats = (await byPriority.json()) as {
      total: number;
      since: string;
      until: string;
      series: { key: string; total: number }[];
    };
    await page.locator('[data-testid="chart-priority"] canvas').first().waitFor();
    const shown = Number(await page.getByTestId('chart-total').textContent());
    assert.ok(shown > 250, `chart total ${shown}`);
    assert.equal(shown, stats.total);
    // The same range read straight from the API gives the same per-series totals.
    const direct = await rt.api<{ series: { key: string; total: number }[]; total: number }>(
      'GET',
      `/vms/${VM}/journal/stats?since=${stats.since}&until=${stats.until}&bucket=1m&by=priority`,
    );
    assert.equal(direct.status, 200);
    assert.deepEqual(
      direct.body.series.map((s) => [s.key, s.total]),
      stats.series.map((s) => [s.key, s.total]),
    );
    const top = await page
      .getByTestId('top-units')
      .locator('li[data-unit="web-test.service"] b')
      .textContent();
    assert.ok(Number(top) >= 252, `web-test.service count ${top}`);
    await page.locator('section.charts').screenshot({ path: join(OUTPUT, 'charts.png') });
  });

  it('events log: filters, and new events appear live', async () => {
    await page.locator('nav a[data-nav="events"]').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('events-live').filter({ hasText: 'live' }).waitFor();
    await page.locator('#ev-vm').fill(VM);
    assert.ok((await page.locator('table.events tbody tr:not([hidden])').count()) > 0);
    const before = await page.locator('table.events tbody tr').count();
    const r = await rt.api('POST', `/vms/${VM}/restart`);
    assert.equal(r.status, 202);
    await page.locator('table.events tbody tr').nth(before).waitFor({ state: 'attached', timeout: 30_000 });
    await page.screenshot({ path: join(OUTPUT, 'events.png') });
  });

  it('deletes the VM from the fleet after a confirmation; the row goes live', async () => {
    await page.locator('nav a[data-nav="fleet"]').click();
    const row = page.locator(`tr[data-vm="${VM}"]`);
    await row.locator('.status', { hasText: /^running$/ }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(OUTPUT, 'fleet.png') });
    // Entries in the last hour, from /journal/stats: at least the 250 written above and the live ones.
    assert.ok(Number(await row.locator('[data-col="entries"]').textContent()) >= 252);
    await row.locator('button.danger').focus();
    await page.keyboard.press('Enter'); // confirm() is accepted by the dialog handler
    await row.waitFor({ state: 'detached', timeout: 60_000 });
  });

  it('had no console errors, and never put the key in a URL', () => {
    assert.deepEqual(problems, []);
    const leaked = urls.filter((u) => u.includes(FUNCTION_KEY) || /[?&]code=/.test(u));
    assert.deepEqual(leaked, []);
  });
});
