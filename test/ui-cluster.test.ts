// The dashboard's cluster pages in a real browser (Debian's chromium) against a real `paz up` with auth on,
// the docker driver and its router: Hosts and a host (capacity, usage, labels, units, router state), a unit's
// health and its logs followed live (a request sent through the router shows up as a new line without a
// reload), and Monitoring's uPlot charts; a service's logs, followed again by themselves after Paz restarts. Then a control plane holding 1,000 units: the Units list paints
// a virtualised screenful, not 1,000 rows. No console errors anywhere.
// test-lane: docker heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { PazProcess, request } from './helpers/paz-server.js';
import { launchBrowser, openPage, screenshot, signIn } from './helpers/browser.js';
import { viaRouter } from './helpers/load.js';
import { waitFor } from './helpers/wait.js';

/** generous: a deploy pulls the image and waits for health checks on a busy 2-core machine */
const LIVE_TIMEOUT_MS = 120_000;
const SERVICE = 'uc-hello';

/** Opens the dashboard at `origin` and signs in with `token`. */
async function openSignedIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/ui/`);
  await signIn(page, token);
}

describe('cluster pages in a browser', skipUnlessDocker, () => {
  let up: PazUp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let unitName = '';
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

  before(async () => {
    up = await startPazUp(['--label', 'zone=ui-test'], { auth: true });
    const as = up.paz.authHeaders();
    const created = await request('POST', `${up.paz.orchestrator}/services`, {
      name: SERVICE,
      dockerRepository: up.env.image1,
      ports: [{ container: 9000 }],
      numInstances: 1,
      healthCheck: { path: '/health', intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 2 },
    }, as);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${up.paz.orchestrator}/services/${SERVICE}/deploy`, {}, as)).status, 201);
    const rollout = await up.settled(SERVICE, 1, LIVE_TIMEOUT_MS);
    unitName = rollout.units[0].name;
    await waitFor('the router to serve the service', async () => (await viaRouter(up.routerPort, `${SERVICE}.paz`)).status === 200, LIVE_TIMEOUT_MS);
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser));
    await openSignedIn(page, up.paz.orchestrator, up.paz.token);
  });
  after(async () => {
    await browser?.close();
    await up?.close();
  });

  it('Hosts lists the host with its capacity, usage, unit and a running router; the host page shows the unit and the routed service', async () => {
    await nav('Hosts').click();
    const host = page.locator('tr[data-host]').first();
    await host.waitFor({ timeout: LIVE_TIMEOUT_MS });
    await host.locator('[data-router="running"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await host.locator('td.cpu progress').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const text = await host.innerText();
    assert.match(text, /up/);
    assert.match(text, /\d+ cores/);
    assert.match(text, /1 unit\b/);
    assert.match(text, /router running/);
    assert.match(text, /zone=ui-test/, 'the host\'s labels');
    await screenshot(page, 'hosts');

    await host.getByRole('link').first().click();
    await page.locator(`tr[data-unit="${unitName}"]`).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator(`tr[data-routed="${SERVICE}"]`).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await page.locator(`tr[data-routed="${SERVICE}"]`).innerText(), /UP\s+1\/1/);
    await page.locator('figure.chart canvas').first().waitFor();
    await screenshot(page, 'host');
  });

  it("a unit's page shows its health and last probe, and its logs follow: a request through the router arrives as a new line without a reload; leaving the page closes the stream", async () => {
    await nav('Units').click();
    await page.locator(`tr[data-unit="${unitName}"]`).getByRole('link', { name: unitName }).click();
    await page.getByRole('heading', { name: `Unit ${unitName}` }).waitFor();
    await page.locator('dd.health').getByText('healthy', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('dd.probe').getByText(/^passed/).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.locator('dd.restarts').innerText(), '0');
    await page.locator('[data-log-state="following"]').waitFor({ timeout: LIVE_TIMEOUT_MS });

    const marker = `ui-log-marker-${randomBytes(4).toString('hex')}`;
    const logs = page.locator('pre.logs');
    assert.doesNotMatch(await logs.innerText(), new RegExp(marker));
    const url = page.url();
    const answer = await viaRouter(up.routerPort, `${SERVICE}.paz`, `/${marker}`);
    assert.ok(answer.status > 0, 'the router answered');
    await logs.getByText(marker).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(page.url(), url, 'the page was not reloaded or left');
    assert.equal(await page.locator('[data-log-state]').getAttribute('data-log-state'), 'following');
    await screenshot(page, 'unit');

    // leaving the page closes the followed log: the browser sees its request cancelled
    const closed = page.waitForEvent('requestfailed', { predicate: (r) => r.url().includes(`/units/${unitName}/logs?follow=true`), timeout: 30_000 });
    await nav('Hosts').click();
    await closed;
  });

  it('Monitoring draws CPU, memory and request-rate charts per host and per service from live stats', async () => {
    await nav('Monitoring').click();
    const hostChart = page.locator('figure[data-chart$=": CPU and memory"]').first();
    await hostChart.locator('canvas').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await waitFor('host samples in the chart', async () => Number(await hostChart.getAttribute('data-points')) > 0, LIVE_TIMEOUT_MS);
    const svcMemory = page.locator(`figure[data-chart="${SERVICE}: memory"]`);
    await waitFor('service samples in the chart', async () => Number(await svcMemory.getAttribute('data-points').catch(() => '0')) > 0, LIVE_TIMEOUT_MS);
    // request rates come from two readings of the routers' counters: send traffic while the page reads them
    const svcRequests = page.locator(`figure[data-chart="${SERVICE}: requests"]`);
    await waitFor('a request-rate sample', async () => {
      for (let i = 0; i < 5; i++) await viaRouter(up.routerPort, `${SERVICE}.paz`);
      return Number(await svcRequests.getAttribute('data-points')) > 0;
    }, LIVE_TIMEOUT_MS, 500);
    // the canvas has been drawn on: some pixel is not blank
    const drawn = await hostChart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
      return false;
    });
    assert.ok(drawn, 'the host chart drew something');
    assert.ok((await page.locator('figure.chart canvas').count()) >= 5, 'charts per host and per service');
    await screenshot(page, 'monitoring');
  });

  it("a service's page follows every unit's output in one stream, and follows again by itself after Paz restarts", async () => {
    await page.goto(`${up.paz.orchestrator}/ui/services/${SERVICE}`);
    await page.getByRole('heading', { name: SERVICE, exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    const logs = page.getByLabel(`Logs of every unit of ${SERVICE}`);
    await page.locator('[data-log-state="following"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const before = `ui-service-log-${randomBytes(4).toString('hex')}`;
    assert.ok((await viaRouter(up.routerPort, `${SERVICE}.paz`, `/${before}`)).status > 0);
    await logs.getByText(before).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await logs.innerText(), new RegExp(`^${unitName} \\| .*${before}`, 'm'), 'the line behind its unit\'s name');
    await screenshot(page, 'service-logs');

    // an upgrade of Paz: the app runs on; the panel says the stream broke and follows again without a click
    const errorsBefore = errors.length;
    assert.equal(await up.paz.stop(), 0, up.paz.output.slice(-4000));
    await page.locator('[data-log-state="retrying"]').waitFor({ timeout: 30_000 });
    await up.paz.start();
    await waitFor('the router to serve again', async () => (await viaRouter(up.routerPort, `${SERVICE}.paz`).catch(() => ({ status: 0 }))).status === 200, LIVE_TIMEOUT_MS, 250);
    const after = `ui-service-log-${randomBytes(4).toString('hex')}`;
    await waitFor('the line sent after the restart in the panel', async () => {
      await viaRouter(up.routerPort, `${SERVICE}.paz`, `/${after}`);
      return (await logs.innerText()).includes(after);
    }, LIVE_TIMEOUT_MS, 1000);
    assert.equal(await page.locator('[data-log-state]').getAttribute('data-log-state'), 'following');
    // while Paz was down the browser said its requests failed; nothing else
    const outage = errors.splice(errorsBefore);
    for (const e of outage) assert.match(e, /Failed to load resource|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|502|503/, e);
  });

  it('logged no console errors', async () => {
    assert.deepEqual(errors, []);
  });
});

describe('the Units list with 1,000 units', () => {
  const N = 1000;
  let paz: PazProcess;
  let browser: Browser;

  before(async () => {
    // the control plane alone (no agent): 1,000 desired units stay unplaced, which is cheap and still lists them all
    paz = new PazProcess({ role: 'up', extraArgs: ['--no-agent'], auth: true });
    await paz.start();
    const as = paz.authHeaders();
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'many', dockerRepository: '127.0.0.1:5000/paz/hello:1', numInstances: N }, as)).status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/many/deploy`, {}, as)).status, 201);
    await waitFor(`${N} units`, async () => ((await request('GET', `${paz.orchestrator}/cluster/units`, undefined, as)).body as unknown[]).length === N, 120_000, 500);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await paz?.close();
  });

  it('paints a virtualised screenful of rows, and scrolling reaches the last unit; without hosts, Hosts and Monitoring say so and the Dashboard says it first', async () => {
    const { page, errors } = await openPage(browser);
    // what the browser gets for the list: compressed (it sends Accept-Encoding by itself), and asked again with its ETag
    // each answer is recorded when its event comes (its headers are read after): the page may draw its rows
    // before the test process hears of the response that brought them, so what is asserted waits for the events
    const answered: Array<Promise<{ status: number; encoding?: string; etag?: string; ifNoneMatch?: string }>> = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname !== '/cluster/units') return;
      answered.push(
        (async () => {
          const headers = await r.allHeaders();
          return { status: r.status(), encoding: headers['content-encoding'], etag: headers.etag, ifNoneMatch: (await r.request().allHeaders())['if-none-match'] };
        })(),
      );
    });
    await openSignedIn(page, paz.orchestrator, paz.token);
    const started = Date.now();
    await page.goto(`${paz.orchestrator}/ui/units`);
    await page.locator('tr[data-unit]').first().waitFor();
    const firstPaintMs = Date.now() - started;
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
    console.log(`units list with ${N} units: rows visible ${firstPaintMs} ms after navigation (first-contentful-paint ${paint?.toFixed(0)} ms)`);

    const box = page.locator('.vtable');
    assert.equal(await box.getAttribute('data-rows'), String(N));
    const drawn = await page.locator('tr[data-unit]').count();
    assert.ok(drawn > 0 && drawn < 100, `${drawn} rows in the DOM for ${N} units`);
    await screenshot(page, 'units-1000');

    await box.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator(`tr[data-unit="many-1-${N}"]`).waitFor();
    assert.ok((await page.locator('tr[data-unit]').count()) < 100, 'still a screenful after scrolling');
    await page.reload();
    await page.locator('tr[data-unit]').first().waitFor();
    await waitFor("the reload's request for the list", async () => answered.length >= 2, 10_000, 50).catch(() => undefined);
    const answers = await Promise.all(answered);
    assert.match(answers[0]?.encoding ?? '', /^(br|gzip)$/, JSON.stringify(answers));
    // a reload revalidates the cached list with its tag (the server answers 304 while the units are unchanged)
    assert.ok(answers.slice(1).some((a) => a.ifNoneMatch !== undefined && a.ifNoneMatch === answers[0].etag), JSON.stringify(answers));

    // a control plane without hosts: Hosts and Monitoring say what to do instead of drawing nothing
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await page.getByText('No host has joined yet').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring' }).click();
    await page.getByText('nothing to measure').waitFor();
    // the Dashboard puts the cluster's verdict first (no host is up), and lists the deploy under way
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    const attention = page.locator('ul.attention > li');
    await attention.first().filter({ hasText: `no host is up: ${N} instances cannot run` }).waitFor();
    await page.locator('li[data-attention="service:many"]').filter({ hasText: new RegExp(`version 1 is deploying.*: 0 of ${N} new instances healthy`) }).waitFor();
    await screenshot(page, 'dashboard-no-host');
    assert.deepEqual(errors, []);
  });
});
