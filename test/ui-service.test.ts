// The service pages in a real browser (Debian's chromium) against a real `paz up` with auth on, the docker
// driver and its router: a service created through the Create service form (after the API's own message
// for a bad field is shown beside it), deployed with its instances turning healthy live, next edited and
// its diff shown, a deploy that fails showing the unit's reason, a rollback, the History page, and a
// read-only token that sees no write controls. No console errors but the 400s the form is expected to get.
// test-lane: docker heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { launchBrowser, openPage, screenshot, signIn as signInAs } from './helpers/browser.js';

/** generous: a deploy pulls the image and waits for health checks on a busy 2-core machine */
const LIVE_TIMEOUT_MS = 120_000;
const SECRET_VALUE = 'hunter2-never-shown';

describe('service pages in a browser', skipUnlessDocker, () => {
  let up: PazUp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let readOnly = '';

  before(async () => {
    up = await startPazUp([], { auth: true });
    readOnly = (await request('POST', `${up.paz.orchestrator}/auth/tokens`, { name: 'viewer', role: 'read-only' }, up.paz.authHeaders())).body.token;
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
    await up?.close();
  });

  const signIn = (token: string) => signInAs(page, token);
  const outcome = () => page.locator('p.outcome');
  /** the page was not reloaded since mark() */
  const mark = () => page.evaluate(() => ((window as unknown as { pazMark: number }).pazMark = 1));
  const marked = () => page.evaluate(() => (window as unknown as { pazMark?: number }).pazMark === 1);

  it('the Create service form shows the API message for a bad field beside it, then creates the service', async () => {
    await page.goto(`${up.paz.orchestrator}/ui/services`);
    await signIn(up.paz.token);
    await page.getByRole('link', { name: 'Create service' }).click();
    await page.getByRole('heading', { name: 'Create service' }).waitFor();

    const before = errors.length;
    await page.getByLabel('Name', { exact: true }).fill('Bad_Name');
    await page.getByLabel('Image').fill(up.env.image1);
    await page.getByLabel('Instances').fill('two');
    await page.getByRole('button', { name: 'Create service' }).click();
    // the API checks the schema first: the instance count is named, beside its field
    await page.locator('[data-field="numInstances"] .field-error').filter({ hasText: 'numInstances' }).waitFor();
    await page.getByLabel('Instances').fill('1');
    await page.getByRole('button', { name: 'Create service' }).click();
    const nameError = page.locator('[data-field="name"] .field-error');
    await nameError.filter({ hasText: 'Bad_Name' }).waitFor();
    assert.equal(await page.locator('[data-field="numInstances"] .field-error').count(), 0, 'the fixed field no longer shows its error');
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'create-service-error');
    // the browser logs each refused request (400): expected, nothing else
    const added = errors.splice(before);
    assert.ok(added.length > 0 && added.every((e) => /400/.test(e)), added.join('\n'));

    await page.getByLabel('Name', { exact: true }).fill('ui-svc');
    await page.getByLabel('Ports').fill('9000');
    await page.getByLabel('Secret environment').fill(`DB_PASSWORD=${SECRET_VALUE}`);
    await page.getByLabel('Health check path').fill('/health');
    await screenshot(page, 'create-service');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.getByRole('heading', { name: 'ui-svc' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/ui/services/ui-svc');
    await page.locator('.empty-state').getByText('Never deployed').waitFor();
    const secret = page.locator('[data-secret="DB_PASSWORD"]');
    assert.match(await secret.innerText(), /set · fingerprint [0-9a-f]{12}/);
    assert.ok(!(await page.content()).includes(SECRET_VALUE), 'the secret value is nowhere on the page');
  });

  it('Deploy shows each instance turning healthy live, ending in succeeded', async () => {
    await mark();
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.locator('tr[data-unit="ui-svc-1-1"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('tr[data-unit="ui-svc-1-1"][data-phase="healthy"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.ok(await marked(), 'followed live, without a reload');
    await page.getByText('Nothing: next is the serving config.').waitFor();
    await screenshot(page, 'service-deployed');
  });

  it('editing next shows the change as a diff against the serving config', async () => {
    const editor = page.getByLabel(/^Next config/);
    const next = JSON.parse(await editor.inputValue()) as { env: Record<string, unknown> };
    next.env.GREETING = 'hello from the form';
    await editor.fill(JSON.stringify(next, null, 2));
    await page.getByRole('button', { name: 'Save next' }).click();
    await page.getByText(/Saved env/).waitFor();
    await page.locator('.diff .diff-added').filter({ hasText: '"GREETING": "hello from the form"' }).waitFor();
    // the secret was kept as it was: its fingerprint is on both sides, unchanged
    assert.equal(await page.locator('.diff .diff-removed').filter({ hasText: 'DB_PASSWORD' }).count(), 0);
    await screenshot(page, 'service-next-diff');
  });

  it('a deploy whose image tag does not exist fails, and the page shows the reason', async () => {
    await page.getByLabel('Tag').fill('no-such-tag');
    await page.getByRole('button', { name: 'Deploy' }).click();
    const failed = outcome().filter({ hasText: /^failed: .+/ });
    await failed.waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await failed.innerText(), /no-such-tag|not found|manifest unknown/i);
    assert.ok(await marked(), 'followed live, without a reload');
    // the service's health (GET /services/:name/health) says why: degraded, v1 still serves
    const health = page.locator('section[aria-labelledby="health-h"]');
    await health.locator('[data-health="degraded"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await health.locator('.health-reasons').innerText(), /the deploy of version 2 failed/);
    await screenshot(page, 'service-failed');
  });

  it('deploying next again succeeds; then a confirmed rollback to v1 runs v1 again as a new version', async () => {
    await page.getByLabel('Tag').fill('');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.locator('p').filter({ hasText: /^Version v3/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.getByText('Nothing: next is the serving config.').waitFor({ timeout: LIVE_TIMEOUT_MS });

    await page.getByLabel('Roll back to').selectOption('1');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await screenshot(page, 'service-rollback-confirm');
    await page.getByRole('group', { name: 'Confirm: Roll back' }).getByRole('button', { name: 'Confirm' }).click();
    await page.locator('p').filter({ hasText: /^Version v4/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('tr[data-unit="ui-svc-4-1"][data-phase="healthy"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // v1 serves again: next (with GREETING) differs from it once more
    await page.locator('.diff .diff-added').filter({ hasText: 'GREETING' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.ok(await marked(), 'followed live, without a reload');
  });

  it('scales to 2 by keyboard alone, after a confirmation, without a new version', async () => {
    await page.getByLabel('Instances').fill('2');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Scale', 'Tab goes from the count to its button');
    await page.keyboard.press('Enter');
    // the question takes the focus on its Confirm button: Enter again confirms
    await page.getByRole('group', { name: 'Confirm: Scale' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Confirm');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-unit="ui-svc-4-2"][data-phase="healthy"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('p').filter({ hasText: /^Version v4/ }).waitFor();
    assert.ok(await marked(), 'followed live, without a reload');
  });

  it('History lists every version with trigger and outcome, and diffs any two', async () => {
    await page.getByRole('link', { name: /^History/ }).click();
    await page.getByRole('heading', { name: 'History of ui-svc' }).waitFor();
    const row = (v: number) => page.locator(`tr[data-version="${v}"]`);
    await row(4).locator('.outcome-cell').filter({ hasText: 'succeeded' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.match(await row(1).innerText(), /succeeded/);
    assert.match(await row(1).innerText(), /sha256:[0-9a-f]{64}/);
    assert.match(await row(2).innerText(), /api \(tag no-such-tag\) by admin/);
    assert.match(await row(2).locator('.outcome-cell').innerText(), /failed\s+.+/);
    assert.match(await row(3).innerText(), /api by admin/);
    assert.match(await row(4).innerText(), /rollback to v1 by admin/);
    // the version that serves is marked, and only it
    assert.match(await row(4).locator('.outcome-cell').innerText(), /serving now/);
    assert.equal(await page.locator('.serving-mark').count(), 1);
    await page.getByLabel('From').selectOption('1');
    await page.getByLabel('To').selectOption('2');
    await page.locator('.diff .diff-added').filter({ hasText: 'no-such-tag' }).waitFor();
    await page.locator('.diff .diff-added').filter({ hasText: 'GREETING' }).waitFor();
    await screenshot(page, 'service-history');
  });

  it('works at 390 px: nothing wider than the screen', async () => {
    await page.getByRole('link', { name: 'Back to ui-svc' }).click();
    await page.getByRole('heading', { name: 'ui-svc' }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.ok(overflow <= 390, `page is ${overflow} px wide at 390 px`);
  });

  it('an empty Tag shows the tag it deploys, and says so when that is not the tag that serves', async () => {
    const tagField = page.getByLabel('Tag');
    assert.equal(await tagField.getAttribute('placeholder'), '1', "the image's own tag (127.0.0.1:5000/paz/hello:1)");
    assert.equal(await page.locator('[data-tag-change]').count(), 0, 'v4 runs :1 as well: nothing to say');
    await tagField.fill('2');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.locator('p').filter({ hasText: /^Version v5/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await tagField.fill('');
    const note = page.locator('[data-tag-change]');
    await note.waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await note.innerText(), 'v5 runs :2; an empty tag deploys :1');
    assert.equal(await tagField.getAttribute('aria-describedby'), 'deploy-tag-note');
    await tagField.fill('2');
    assert.equal(await note.count(), 0, 'a tag given: the note goes');
    await tagField.fill('');
    await screenshot(page, 'service-tag-note');
  });

  it('a service whose first deploy failed: nothing is shown as serving, and the page says why it has no instances', async () => {
    const created = await request('POST', `${up.paz.orchestrator}/services`, { name: 'ui-never', dockerRepository: `${up.env.registry}/paz/hello:no-such-tag`, ports: [{ container: 9000 }] }, up.paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${up.paz.orchestrator}/services/ui-never/deploy`, {}, up.paz.authHeaders())).status, 201);
    await waitFor('the first deploy of ui-never failed', async () => (await request('GET', `${up.paz.orchestrator}/services/ui-never/rollout`, undefined, up.paz.authHeaders())).body?.doc?.state === 'failed', 30_000, 200);
    await page.goto(`${up.paz.orchestrator}/ui/services/ui-never`);
    await page.getByText('Nothing serves: the deploy of v1 failed.').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.getByLabel('serving config').count(), 0, 'no config is shown as serving');
    await page.getByText('No instances: the deploy of v1 failed and no earlier version serves.').waitFor();
    await page.goto(`${up.paz.orchestrator}/ui/services/ui-svc`);
    await page.getByRole('heading', { name: 'ui-svc' }).waitFor();
  });

  it('Restart, confirmed, replaces every instance with a fresh one of the serving version as a new version; nothing serving, no Restart', async () => {
    await page.goto(`${up.paz.orchestrator}/ui/services/ui-never`);
    await page.getByText('Nothing serves: the deploy of v1 failed.').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.getByRole('button', { name: 'Deploy' }).count(), 1, 'the actions are there');
    assert.equal(await page.getByRole('button', { name: 'Restart' }).count(), 0, 'ui-never: nothing serves, nothing to restart');
    await page.goto(`${up.paz.orchestrator}/ui/services/ui-svc`);
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await mark();
    await page.getByRole('button', { name: 'Restart' }).click();
    const ask = page.getByRole('group', { name: 'Confirm: Restart' });
    assert.match(await ask.innerText(), /Replace every instance of v5 with a fresh one\?/);
    await screenshot(page, 'service-restart-confirm');
    await ask.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('p').filter({ hasText: /^Version v6/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    // while it rolls out, no other restart (it would overtake this one): the button says why it waits
    await page.getByText('a deploy of v6 is under way').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.getByRole('button', { name: 'Restart' }).isDisabled(), true);
    await outcome().filter({ hasText: /^succeeded$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.getByRole('button', { name: 'Restart' }).isDisabled(), false, 'once it ended, a restart may be asked again');
    for (const unit of ['ui-svc-6-1', 'ui-svc-6-2']) await page.locator(`tr[data-unit="${unit}"][data-phase="healthy"]`).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.locator('[data-tag-change]').innerText(), 'v6 runs :2; an empty tag deploys :1', 'v6 runs what v5 ran (:2), not the repository\'s tag');
    assert.ok(await marked(), 'followed live, without a reload');
  });

  it("Restart instance, confirmed on a unit's page, replaces that one instance with a fresh one", async () => {
    await page.goto(`${up.paz.orchestrator}/ui/units/ui-svc-6-1`);
    await page.getByRole('heading', { name: 'Unit ui-svc-6-1' }).waitFor();
    await page.getByRole('button', { name: 'Restart instance' }).click();
    const ask = page.getByRole('group', { name: 'Confirm: Restart instance' });
    assert.match(await ask.innerText(), /Replace ui-svc-6-1 with a fresh instance of v6\? It keeps serving until the new one is healthy/);
    await ask.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: /^Restart asked: .* replaces it/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.getByRole('link', { name: 'follow it on ui-svc' }).click();
    // the next instance number of v6 takes over, the other instance is untouched, and the restarted one goes
    await page.locator('tr[data-unit="ui-svc-6-3"][data-phase="healthy"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('tr[data-unit="ui-svc-6-1"]').waitFor({ state: 'detached', timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.locator('tr[data-unit="ui-svc-6-2"][data-phase="healthy"]').count(), 1);
    const journal = (await request('GET', `${up.paz.scheduler}/journal?events=unit-restart&service=ui-svc`, undefined, up.paz.authHeaders())).body.doc as Array<{ message: string }>;
    assert.equal(journal.length, 1, JSON.stringify(journal));
    assert.match(journal[0].message, /^restart of ui-svc-6-1 asked by /);
  });

  it('a read-only token sees the service but no Deploy, Scale, Restart, Rollback, edit or Create controls', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(readOnly);
    await page.goto(`${up.paz.orchestrator}/ui/services/ui-svc`);
    await outcome().filter({ hasText: 'succeeded' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    for (const name of ['Deploy', 'Scale', 'Restart', 'Roll back', 'Save next']) assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
    await screenshot(page, 'service-read-only');
    await page.goto(`${up.paz.orchestrator}/ui/units/ui-svc-6-2`);
    await page.locator('dd[data-unit-state]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Restart instance' }).count(), 0, 'no Restart instance button');
    await page.goto(`${up.paz.orchestrator}/ui/services`);
    await page.locator('tr[data-service="ui-svc"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create service' }).count(), 0);
  });

  it('logged no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
