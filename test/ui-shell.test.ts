// The dashboard in a real browser (Debian's chromium) against a real `paz up` with auth on, the docker
// driver and its router: signing in (admin, read-only, a bad token, one revoked while signed in), the Services list and the Dashboard
// following changes made through the API without a reload, and no console errors along the way.
// test-lane: docker heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { request } from './helpers/paz-server.js';
import { launchBrowser, openPage, screenshot, signIn as signInAs } from './helpers/browser.js';

/** generous: a deploy pulls the image and waits for health checks on a busy 2-core machine */
const LIVE_TIMEOUT_MS = 120_000;

describe('dashboard in a browser', skipUnlessDocker, () => {
  let up: PazUp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let readOnly = '';

  before(async () => {
    up = await startPazUp([], { auth: true });
    readOnly = (await request('POST', `${up.paz.orchestrator}/auth/tokens`, { name: 'viewer', role: 'read-only' }, up.paz.authHeaders())).body.token;
    browser = await launchBrowser();
    ({ context, page, errors } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
    await up?.close();
  });

  const signIn = (token: string) => signInAs(page, token, { expectSignedIn: false });
  const row = (name: string) => page.locator(`tr[data-service="${name}"]`);

  it('a bad token is refused with an error on the sign-in page', async () => {
    await page.goto(`${up.paz.orchestrator}/`);
    assert.equal(new URL(page.url()).pathname, '/ui/', 'a browser opening / lands on the dashboard');
    await screenshot(page, 'sign-in');
    const before = errors.length;
    await signIn('paz_0123456789ab_not-a-real-token');
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    // the browser itself logs the refused request (401): that one is expected, nothing else
    const added = errors.splice(before);
    assert.ok(added.every((e) => /401/.test(e)), added.join('\n'));
  });

  it('signs in with the admin token; the empty Services list says how to create one', async () => {
    await signIn(up.paz.token);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await page.getByText('No services yet').waitFor();
    assert.match(await page.locator('header').innerText(), /admin \(admin\)/);
    await screenshot(page, 'services-empty');
  });

  it('a service created through the API appears without a reload, and its deploy turns healthy live', async () => {
    const orch = up.paz.orchestrator;
    const as = up.paz.authHeaders();
    const created = await request('POST', `${orch}/services`, {
      name: 'ui-hello',
      dockerRepository: up.env.image1,
      ports: [{ container: 9000 }],
      numInstances: 1,
      healthCheck: { path: '/health', intervalSeconds: 0.5, timeoutSeconds: 1, unhealthyThreshold: 2 },
    }, as);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await row('ui-hello').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await row('ui-hello').innerText(), /never deployed/);

    assert.equal((await request('POST', `${orch}/services/ui-hello/deploy`, {}, as)).status, 201);
    await row('ui-hello').locator('td.instances[data-healthy="1"][data-desired="1"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await row('ui-hello').getByText('succeeded').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await row('ui-hello').innerText(), /v1/);
    await screenshot(page, 'services');
  });

  it('the Dashboard shows the host, the numbers and nothing needing attention once the deploy is done', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('all well').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await page.locator('ul.hosts').innerText(), /up \S+ 1 unit(?!s)/);
    await screenshot(page, 'dashboard');
  });

  it('a failed deploy shows under Needs attention with the health reason, live; its name opens the service, whose page says the same', async () => {
    const orch = up.paz.orchestrator;
    assert.equal((await request('POST', `${orch}/services/ui-hello/deploy`, { tag: 'no-such-tag' }, up.paz.authHeaders())).status, 201);
    const item = page.locator('li[data-attention="service:ui-hello"]');
    await item.filter({ hasText: /the deploy of version 2 failed/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await item.innerText(), /degraded/);
    await screenshot(page, 'dashboard-attention');
    await item.getByRole('link', { name: 'ui-hello' }).click();
    await page.getByRole('heading', { name: 'ui-hello' }).waitFor();
    await page.locator('[data-health="degraded"] .health-reasons').filter({ hasText: /the deploy of version 2 failed/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    // the host named on the Dashboard opens its page, which shows the host's health
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.locator('ul.hosts li').first().getByRole('link').click();
    await page.locator('dd.host-health [data-health="healthy"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
  });

  it('the navigation is reachable by keyboard', async () => {
    await page.goto(`${up.paz.orchestrator}/ui/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const focused: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    assert.deepEqual(focused.slice(0, 3), ['Skip to content', 'Dashboard', 'Services']);
  });

  it('while the orchestrator restarts the banner says the connection is lost; afterwards the page is live again', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await row('ui-hello').waitFor();
    const before = errors.length;
    // SIGTERM: the units keep running and the next start adopts them (README: Stopping Paz)
    await up.paz.stop();
    const banner = page.getByRole('status').filter({ hasText: 'Connection lost' });
    await banner.waitFor({ timeout: LIVE_TIMEOUT_MS });
    await screenshot(page, 'connection-lost');
    await up.paz.start();
    // made before or after the page reconnects: it arrives either way (resumed with Last-Event-ID, or live)
    const created = await request('POST', `${up.paz.orchestrator}/services`, { name: 'ui-later', dockerRepository: up.env.image1 }, up.paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    if (await banner.isVisible()) await page.getByRole('button', { name: 'Retry now' }).click().catch(() => undefined);
    await banner.waitFor({ state: 'detached', timeout: LIVE_TIMEOUT_MS });
    await row('ui-later').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // the browser itself logs the refused attempts while paz was down: expected, nothing else
    const added = errors.splice(before);
    assert.ok(added.every((e) => /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED_ENCODING|503/.test(e)), added.join('\n'));
  });

  it('a read-only token signs in and sees its role', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(readOnly);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.match(await page.locator('header').innerText(), /viewer \(read-only\)/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await row('ui-hello').waitFor();
  });

  it('a token revoked while signed in: the dashboard goes back to the sign-in page and says so', async () => {
    const before = errors.length;
    assert.equal((await request('DELETE', `${up.paz.orchestrator}/auth/tokens/viewer`, undefined, up.paz.authHeaders())).status, 200);
    // its open event stream ends within seconds (the server checks an open stream's token again), and the next
    // connection is refused: no click, no reload
    await page.getByRole('alert').filter({ hasText: 'no longer accepted' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'signed out');
    await screenshot(page, 'token-revoked');
    // the browser logs the refused requests (401): those are expected, nothing else
    const added = errors.splice(before);
    assert.ok(added.every((e) => /401/.test(e)), added.join('\n'));
  });

  it('logged no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
