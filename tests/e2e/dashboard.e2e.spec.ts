/**
 * The dashboard in a real browser (Debian chromium driven by playwright-core) against the local
 * stack with the demo data: the numbers it shows equal the API's, a posted delivery shows up
 * without a reload, the as-of control shows an earlier state, the language switch works, axe finds
 * no serious accessibility problem, and screenshots land in test-results/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';

const ADMIN_KEY = 'dashboard-test-admin-key-0123456789';
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const en = (n: number) => new Intl.NumberFormat('en-US').format(n);
const COUNTERS = ['allocated', 'ordered', 'shipped', 'inTransit', 'delivered', 'installed'] as const;

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
const pageErrors: string[] = [];
const cspViolations: string[] = [];

async function api(path: string): Promise<any> {
  const res = await fetch(`${stack.url}${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

/** Until every recipient's projection has applied its whole history (seeding is asynchronous). */
async function settled(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { items } = await api('/v1/recipients');
    const histories = await Promise.all(items.map(async (r: any) => (await api(`/v1/recipients/${r.recipientId}/events?limit=100`)).items.length));
    if (items.length === 5 && items.every((r: any, i: number) => r.sequence === histories[i])) return;
    if (Date.now() > deadline) throw new Error('the demo data never settled');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function openPage(path: string, ctx = context): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${stack.url}${path}`);
  return page;
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

async function seriousViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(async () => (window as any).axe.run());
  // The check really ran: it evaluated the page's rules (landmarks, contrast, ARIA...).
  expect(result.passes.map((p: any) => p.id)).toEqual(expect.arrayContaining(['color-contrast', 'landmark-one-main', 'aria-progressbar-name', 'region', 'heading-order']));
  return result.violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  mkdirSync(SHOTS, { recursive: true });
  stack = await startLocalStack({ seed: 'demo', adminKey: ADMIN_KEY, reconcileEverySeconds: 2, reconcileGraceSeconds: 2 });
  await settled();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard', () => {
  it('serves the page under a strict CSP, with its assets from /assets and no inline script', async () => {
    const res = await fetch(`${stack.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    const script = /<script src="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(script).toMatch(/^\/assets\/dashboard\.js\?v=/);
    const js = await fetch(`${stack.url}${script}`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const again = await fetch(`${stack.url}${script}`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${stack.url}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${stack.url}/recipients/samsung`)).status).toBe(200);
    expect((await fetch(`${stack.url}/recipients/Not_An_Id`)).status).toBe(404);
  });

  it('shows the national totals and every recipient exactly as the API reports them', async () => {
    const summary = await api('/v1/summary');
    const { items: recipients } = await api('/v1/recipients');
    const page = await openPage('/');
    await page.locator('#national dd[data-field="delivered"]').waitFor();
    await page.locator('#live[data-state="live"]').waitFor();

    for (const name of COUNTERS) expect(await text(page, `#national dd[data-field="${name}"]`)).toBe(en(summary[name]));
    expect(await text(page, '.headline-main')).toBe(`${en(summary.delivered)} of ${en(summary.allocated)} GPUs delivered`);
    expect(await page.locator('#national > [role="progressbar"]').getAttribute('aria-valuenow')).toBe(String(summary.delivered));
    for (const sector of ['public', 'private']) {
      const row = `#national .sector[data-sector="${sector}"]`;
      expect(await text(page, `${row} [data-field="delivered"]`)).toBe(en(summary.bySector[sector].delivered));
      expect(await text(page, `${row} [data-field="allocated"]`)).toBe(en(summary.bySector[sector].allocated));
      expect(await text(page, `${row} [data-field="installed"]`)).toBe(en(summary.bySector[sector].installed));
    }

    expect(await page.locator('#recipients tbody tr').count()).toBe(recipients.length);
    for (const r of recipients) {
      const row = `#recipients tr[data-recipient-id="${r.recipientId}"]`;
      expect(await text(page, `${row} [data-field="name"]`)).toBe(r.name);
      expect(await text(page, `${row} [data-field="otherName"]`)).toBe(r.nameKo);
      expect(await page.locator(`${row} [data-field="name"]`).getAttribute('href')).toBe(`/recipients/${r.recipientId}`);
      expect(await text(page, `${row} .sector-chip`)).toBe(r.sector === 'public' ? 'Public' : 'Private');
      for (const name of ['allocated', 'ordered', 'inTransit', 'delivered', 'installed']) {
        expect(await text(page, `${row} td[data-field="${name}"]`)).toBe(en(r[name]));
      }
      expect(await page.locator(`${row} [data-field="updatedAt"] time`).getAttribute('datetime')).toBe(r.updatedAt);
    }

    // The timeline's folded history ends where the projection is.
    const chart = page.locator('#timeline svg');
    expect(await chart.getAttribute('data-last-delivered')).toBe(String(summary.delivered));
    expect(await chart.getAttribute('data-last-installed')).toBe(String(summary.installed));
    await page.locator('#timeline-series').selectOption('samsung');
    const samsung = recipients.find((r: any) => r.recipientId === 'samsung');
    expect(await page.locator('#timeline svg').getAttribute('data-last-delivered')).toBe(String(samsung.delivered));

    // MoUs: parties that are recipients link to them; the demo data is labelled illustrative.
    const { items: mous } = await api('/v1/mous');
    expect(await page.locator('#mous li.mou').count()).toBe(mous.length);
    const physical = page.locator('li.mou[data-mou-id="physical-ai-2025"]');
    expect(await physical.locator('a.chip').getAttribute('href')).toBe('/recipients/hyundai-motor-group');
    expect(await physical.locator('a.chip').textContent()).toBe('Hyundai Motor Group');
    expect(await physical.locator('span.chip:not(.topic)').allTextContents()).toEqual(['msit', 'nvidia']);
    const physicalMou = mous.find((m: any) => m.mouId === 'physical-ai-2025');
    expect(await physical.locator('.topic').allTextContents()).toEqual(physicalMou.topics);
    expect(await text(page, 'li.mou[data-mou-id="physical-ai-2025"] h3')).toBe(physicalMou.title);
    expect(await page.locator('#demo-banner').isVisible()).toBe(true);
    expect(await text(page, 'footer .foot-illustrative')).toContain('illustrative');
    await page.close();
  });

  it('shows a posted delivery within seconds, without a reload', async () => {
    const page = await openPage('/');
    await page.locator('#live[data-state="live"]').waitFor();
    const before = await api('/v1/summary');
    const hmg = (await api('/v1/recipients/hyundai-motor-group')).delivered;
    expect(await text(page, '#national dd[data-field="delivered"]')).toBe(en(before.delivered));
    await page.evaluate(() => { (window as any).__sameDocument = true; });

    const res = await fetch(`${stack.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({
        specversion: '1.0', id: 'e2e-dashboard-received-1', source: '/companies/hyundai-motor-group',
        type: 'delivery.received', subject: 'recipients/hyundai-motor-group', time: new Date().toISOString(),
        data: { shipmentId: 'e2e-dash-shp-001', quantity: 1234, orderId: 'hmg-po-2025-001', gpuModel: 'NVIDIA Blackwell B200' },
      }),
    });
    expect(res.status).toBe(202);

    const started = Date.now();
    await page.waitForFunction(
      (expected) => document.querySelector('#national dd[data-field="delivered"]')?.textContent === expected,
      en(before.delivered + 1234),
      { timeout: 15_000, polling: 100 },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(await text(page, '#recipients tr[data-recipient-id="hyundai-motor-group"] td[data-field="delivered"]')).toBe(en(hmg + 1234));
    expect(await page.locator('#live').getAttribute('data-state')).toBe('live');
    expect(await text(page, '#live')).toBe('Live');
    await page.close();
  });

  it('shows when the connection drops and when it comes back (polling when there is no stream)', async () => {
    const page = await browser.newPage();
    // Whatever the API offers, this page sees no stream, so it must fall back to polling.
    await page.route('**/v1/stream', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{}' }));
    await page.goto(`${stack.url}/`);
    await page.locator('#live[data-state="live"][data-mode="poll"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#live').getAttribute('aria-live')).toBe('polite');
    await page.route('**/v1/summary', (route) => route.abort('connectionrefused'));
    await page.locator('#live[data-state="offline"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '#live')).toBe('Reconnecting…');
    await page.unroute('**/v1/summary');
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '#live')).toBe('Live');
    await page.close();
  });

  it('listens to the event stream when there is one, and checks the summary on each event', async () => {
    const page = await browser.newPage();
    let streams = 0;
    const checks: number[] = [];
    page.on('request', (request) => { if (new URL(request.url()).pathname === '/v1/summary') checks.push(Date.now()); });
    // A stream that sends one event and ends; EventSource reconnects after `retry` ms.
    await page.route('**/v1/stream', (route) => {
      streams++;
      return route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        body: `retry: 400\nid: c${streams}\nevent: delivery.received\ndata: {"type":"delivery.received"}\n\n`,
      });
    });
    await page.goto(`${stack.url}/`);
    await page.locator('#live[data-mode="stream"]').waitFor({ timeout: 10_000 });
    const deadline = Date.now() + 10_000;
    while (streams < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(streams).toBeGreaterThanOrEqual(3);
    // Never fell back to polling: each reconnect opened again.
    expect(await page.locator('#live').getAttribute('data-mode')).toBe('stream');
    expect(checks.length).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('shows what the tracker said on a past date, and pages through the history', async () => {
    const now = await api('/v1/recipients/samsung');
    const then = await api(`/v1/recipients/samsung?asOf=${encodeURIComponent('2025-11-01T23:59:59+09:00')}`);
    expect(now.delivered).toBeGreaterThan(0);
    expect(then.delivered).toBe(0);

    const page = await openPage('/recipients/samsung');
    await page.locator('#recipient-status [data-field="delivered"]').waitFor();
    expect(await text(page, 'h1')).toBe('Samsung');
    for (const name of COUNTERS) expect(await text(page, `#recipient-status dd[data-field="${name}"]`)).toBe(en(now[name]));

    await page.locator('#asof').fill('2025-11-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.locator('#asof-reset:not([hidden])').waitFor();
    expect(await text(page, '#recipient-status dd[data-field="delivered"]')).toBe('0');
    expect(await text(page, '#recipient-status dd[data-field="allocated"]')).toBe(en(then.allocated));
    expect(await text(page, '#asof-note')).toContain('Nov 1, 2025');
    expect(new URL(page.url()).search).toBe('?asOf=2025-11-01');

    await page.locator('#asof-reset').click();
    await page.waitForFunction(() => document.querySelector('#asof-note')?.textContent === '');
    expect(await text(page, '#recipient-status dd[data-field="delivered"]')).toBe(en(now.delivered));

    // History: 10 a page, in sequence order, Next and Previous follow the cursor.
    const sequences = async () => page.locator('#history tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-sequence'))));
    expect(await sequences()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await page.locator('#history-prev').isDisabled()).toBe(true);
    await page.locator('#history-next').click();
    await page.waitForFunction(() => document.querySelector('#history tbody tr')?.getAttribute('data-sequence') === '11');
    expect(await sequences()).toEqual(Array.from({ length: now.sequence - 10 }, (_, i) => 11 + i));
    expect(await page.locator('#history-next').isDisabled()).toBe(true);
    await page.locator('#history-prev').click();
    await page.waitForFunction(() => document.querySelector('#history tbody tr')?.getAttribute('data-sequence') === '1');
    expect(await text(page, '#history tbody tr:nth-child(3) .badge-illustrative')).toBe('Illustrative');
    await page.close();
  });

  it('switches labels, numbers and <html lang> to Korean and remembers the choice', async () => {
    const summary = await api('/v1/summary');
    const page = await openPage('/');
    await page.locator('#national dd[data-field="delivered"]').waitFor();
    expect(await text(page, '#h-national')).toBe('National totals');
    await page.getByRole('button', { name: '한국어' }).click();
    expect(await text(page, '#h-national')).toBe('전국 현황');
    expect(await text(page, '#h-recipients')).toBe('수령 기관');
    expect(await page.locator('html').getAttribute('lang')).toBe('ko');
    expect(await page.getByRole('button', { name: '한국어' }).getAttribute('aria-pressed')).toBe('true');
    const ko = new Intl.NumberFormat('ko-KR').format(summary.delivered);
    expect(await text(page, '#national dd[data-field="delivered"]')).toBe(ko);
    expect(await text(page, '#recipients tr[data-recipient-id="samsung"] [data-field="name"]')).toBe('삼성');
    await page.reload();
    await page.locator('#national dd[data-field="delivered"]').waitFor();
    expect(await text(page, '#h-national')).toBe('전국 현황');
    await page.getByRole('button', { name: 'English' }).click();
    expect(await text(page, '#h-national')).toBe('National totals');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.close();
  });

  it('passes axe without serious or critical violations, on the main and the recipient page', async () => {
    // axe is injected as an inline script, which the page's CSP rightly refuses: bypass it here only.
    const axeContext = await browser.newContext({ locale: 'en-US', bypassCSP: true, viewport: { width: 1280, height: 800 } });
    for (const path of ['/', '/recipients/samsung']) {
      const page = await openPage(path, axeContext);
      await page.locator('#live[data-state="live"]').waitFor();
      await page.locator('#timeline svg').waitFor();
      expect({ path, violations: await seriousViolations(page) }).toEqual({ path, violations: [] });
      await page.setViewportSize({ width: 390, height: 844 });
      expect({ path, width: 390, violations: await seriousViolations(page) }).toEqual({ path, width: 390, violations: [] });
      await page.close();
    }
    await axeContext.close();
  });

  it('writes screenshots of the main and a recipient page at desktop and phone widths', async () => {
    const views = [['main', '/'], ['recipient-samsung', '/recipients/samsung']] as const;
    for (const [locale, width, height] of [['en-US', 1280, 800], ['en-US', 390, 844], ['ko-KR', 390, 844]] as const) {
      // A new context has no saved choice, so the browser's language decides (ko-KR: Korean).
      const ctx = await browser.newContext({ locale, viewport: { width, height }, deviceScaleFactor: 1 });
      for (const [view, path] of locale === 'en-US' ? views : views.slice(0, 1)) {
        const name = locale === 'en-US' ? view : `${view}-ko`;
        const page = await openPage(path, ctx);
        await page.locator('#live[data-state="live"]').waitFor();
        await page.locator('#timeline svg').waitFor();
        // Nothing wider than the screen: the page works without sideways scrolling.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        // What a person sees first, and the whole page.
        for (const [file, fullPage] of [[`${name}-${width}x${height}.png`, false], [`${name}-${width}x${height}-full.png`, true]] as const) {
          await page.screenshot({ path: resolve(SHOTS, file), fullPage });
          expect(existsSync(resolve(SHOTS, file))).toBe(true);
        }
        await page.close();
      }
      await ctx.close();
    }
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
