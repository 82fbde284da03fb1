import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, chromiumAvailable, launchBrowser, newContext, pageApi, screenshot } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { type OctopostProcess, startServe } from '../helpers/octopost-process.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * The web app as a person uses it: Debian's Chromium against the real server (a child process),
 * signed in by cookie, in two time zones. Screenshots of each page land in test-output/screenshots/.
 * The tests follow one story and share its state, in order.
 */
const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const EMAIL = 'owner@example.com';
const PASSWORD = 'a long passphrase';

describe.skipIf(!chromiumAvailable())('web app in Chromium', () => {
  let db: TestDatabase;
  let server: OctopostProcess;
  let receiver: Receiver;
  let browser: Browser;
  let ny: BrowserContext;
  let page: Page;
  /** The post scheduled in the story, and its moment. */
  let postId = '';
  let when: DateTime;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    receiver = await new Receiver().start();
    server = await startServe({ OCTOPOST_DATA_DIR: db.dataDir });
    browser = await launchBrowser();
    ny = await newContext(browser, { timezoneId: NY });
    page = await ny.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.stop();
    await db?.drop();
  });

  /** Same-origin API calls with the page's cookie, as the app makes them. */
  const api = (p: Page, method: string, path: string, body?: unknown) => pageApi(server.url)(p, method, path, body);
  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);
  const heading = (p: Page, name: string) => p.getByRole('heading', { level: 1, name }).waitFor();

  it('sets up the owner on first start, signs out and signs in again', { timeout: 60_000 }, async () => {
    await go(page, '/');
    await heading(page, 'Welcome to Octopost');
    await screenshot(page, '01-setup');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create owner and sign in' }).click();
    await heading(page, 'Compose');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to Octopost');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or the password is wrong.' }).waitFor();
    await screenshot(page, '02-sign-in');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Compose');
    expect((await api(page, 'GET', '/v1/session')).json).toMatchObject({ signed_in: true, user: { email: EMAIL } });
  });

  it('connects a webhook account on the Accounts page', { timeout: 30_000 }, async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await heading(page, 'Accounts');
    await page.getByLabel('Name').fill('My blog');
    await page.getByLabel('Webhook URL').fill(receiver.url('/blog'));
    await page.getByLabel('Secret').fill('blog-secret-1');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('heading', { name: 'My blog' }).waitFor();
    await page.getByText('✓ Active').waitFor();
    await screenshot(page, '03-accounts');
  });

  it('composes with live counters and schedules it in the user zone; the calendar shows it at that local time', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Compose' }).click();
    await heading(page, 'Compose');
    // The built-in default preset is preselected, with the account ticked.
    expect(await page.getByLabel('Preset').inputValue()).toBe('preset_sys_all');
    expect(await page.getByRole('checkbox', { name: /My blog/ }).isChecked()).toBe(true);
    await page.getByLabel('Post text').fill('Hello from the calendar test 👋🏽');
    await page.getByText('webhook 30 / 100,000').waitFor();
    await page.getByRole('button', { name: '+ Add image' }).click();
    await page.getByLabel('Image 1 address').fill('https://example.com/cat.png');
    await page.getByText('Image 1 has no alt text').waitFor();
    await page.getByLabel('Image 1 alt text').fill('A cat on a keyboard');
    await page.getByRole('button', { name: '+ Add reply' }).click();
    await page.getByLabel('Reply 1', { exact: true }).fill('And a reply.');
    await screenshot(page, '04-compose');

    // 09:00 in New York on the 15th of next month.
    when = DateTime.now().setZone(NY).plus({ months: 1 }).set({ day: 15, hour: 9, minute: 0, second: 0, millisecond: 0 });
    await page.getByRole('button', { name: 'Schedule…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule post' });
    await dialog.getByText('America/New York').first().waitFor();
    await dialog.getByLabel('Date').fill(when.toFormat('yyyy-MM-dd'));
    await dialog.getByLabel('Time').fill('09:00');
    await screenshot(page, '05-schedule-dialog');
    await dialog.getByRole('button', { name: 'Confirm Schedule' }).click();
    await heading(page, 'Post');
    await page.locator('.badge-scheduled').first().waitFor();
    postId = page.url().split('/posts/')[1]!;
    const stored = (await api(page, 'GET', `/v1/posts/${postId}`)).json;
    expect(stored).toMatchObject({ status: 'scheduled', scheduled_for: when.toUTC().toISO(), media: { images: [{ url: 'https://example.com/cat.png', alt_text: 'A cat on a keyboard' }] }, segments: [{ content: 'And a reply.' }] });
    await page.getByText(/Goes out .*09:00/).waitFor();
    await screenshot(page, '06-post-scheduled');

    await page.getByRole('link', { name: 'Calendar' }).click();
    await heading(page, 'Calendar');
    await page.getByRole('button', { name: 'Next ›' }).click();
    const event = page.locator('.fc-event', { hasText: 'Hello from the calendar test' });
    await event.waitFor();
    expect(await event.locator('.fc-event-time').textContent()).toBe('09:00');
    expect(await page.locator(`td[data-date="${when.toFormat('yyyy-MM-dd')}"] .fc-event`).count()).toBe(1);
    await screenshot(page, '07-calendar-month');
  });

  it('drags the post to another day; the API has the new instant, same local time', { timeout: 30_000 }, async () => {
    const target = when.plus({ days: 2 });
    const event = page.locator('.fc-event', { hasText: 'Hello from the calendar test' });
    const cell = page.locator(`td[data-date="${target.toFormat('yyyy-MM-dd')}"]`);
    await dragTo(page, event, cell);
    await page.getByText(/^Scheduled for /).waitFor();
    await expect.poll(async () => (await api(page, 'GET', `/v1/posts/${postId}`)).json.scheduled_for).toBe(target.toUTC().toISO());
    await cell.locator('.fc-event', { hasText: 'Hello from the calendar test' }).waitFor();
    when = target;

    // With the keyboard: Tab to the post and press Enter to open it for editing.
    await cell.locator('.fc-event', { hasText: 'Hello from the calendar test' }).focus();
    await page.keyboard.press('Enter');
    await heading(page, 'Edit post');
    expect(await page.getByLabel('Post text').inputValue()).toBe('Hello from the calendar test 👋🏽');
    await page.getByText(new RegExp(`Goes out .*09:00`)).waitFor();
    await page.goBack();
    await heading(page, 'Calendar');
  });

  it('shows the same post at each viewer’s own local time (New York and Berlin)', { timeout: 30_000 }, async () => {
    const berlin = await newContext(browser, { timezoneId: BERLIN, storageState: await ny.storageState() });
    try {
      const bp = await berlin.newPage();
      const berlinTime = when.setZone(BERLIN).toFormat('HH:mm');
      expect(berlinTime).not.toBe('09:00');
      for (const [p, time] of [[page, '09:00'], [bp, berlinTime]] as const) {
        await go(p, `/posts/${postId}`);
        await p.getByText(new RegExp(`Goes out .*${time}`)).waitFor();
        // The post's month, by address (at a month's edge the two zones may be in different months).
        await go(p, `/calendar?view=dayGridMonth&date=${when.toFormat('yyyy-MM-dd')}`);
        const event = p.locator('.fc-event', { hasText: 'Hello from the calendar test' });
        await event.waitFor();
        expect(await event.locator('.fc-event-time').textContent()).toBe(time);
      }
      await screenshot(bp, '08-calendar-berlin');
    } finally {
      await berlin.close();
    }
  });

  it('overrides the time zone in Settings (a VPN user), then follows the browser again', { timeout: 30_000 }, async () => {
    await go(page, '/settings');
    await heading(page, 'Settings');
    await page.getByTestId('detected-zone').getByText('America/New York').waitFor();
    await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Asia/Tokyo');
    await page.getByRole('button', { name: 'Save time zone' }).click();
    await page.getByTestId('effective-zone').getByText('Asia/Tokyo').waitFor();
    expect((await api(page, 'GET', '/v1/me')).json.timezone).toBe('Asia/Tokyo');
    await screenshot(page, '09-settings');
    await go(page, `/posts/${postId}`);
    await page.getByText(new RegExp(`Goes out .*${when.setZone('Asia/Tokyo').toFormat('HH:mm')}`)).waitFor();

    await go(page, '/settings');
    await page.getByRole('combobox', { name: 'Time zone' }).selectOption('');
    await page.getByRole('button', { name: 'Save time zone' }).click();
    await page.getByTestId('effective-zone').getByText('America/New York').waitFor();
    expect((await api(page, 'GET', '/v1/me')).json.timezone).toBeNull();
  });

  it('shows a failing delivery with its error and what to do, and retries it from the detail page', { timeout: 60_000 }, async () => {
    receiver.script('/shop', [{ status: 400, body: { error: 'image too large' } }]);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/shop'), secret: 'shop-secret-1', display_name: 'Shop' });
    expect(account.status).toBe(201);
    await go(page, '/compose');
    await page.getByLabel('Post text').fill('This one will be refused first');
    await page.getByLabel('Preset').selectOption('');
    await page.getByRole('checkbox', { name: /My blog/ }).uncheck();
    await page.getByRole('checkbox', { name: /Shop/ }).check();
    await page.getByRole('button', { name: 'Publish now' }).click();
    await heading(page, 'Post');
    await page.locator('.badge-failed', { hasText: 'Failed' }).first().waitFor({ timeout: 20_000 });
    await page.getByText('The network refused this post (it answered 400)').waitFor();
    await page.getByText('What to do:').waitFor();
    await page.getByText('image too large').first().waitFor();
    await page.getByText('Attempt history (1)').click();
    await screenshot(page, '10-post-failed');

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.badge-published', { hasText: 'Published' }).first().waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: /View the published post/ }).waitFor();
    expect(receiver.on('/shop')).toHaveLength(2);
    await screenshot(page, '11-post-retried');
  });

  it('stops a retry that is waiting, from the detail page', { timeout: 60_000 }, async () => {
    receiver.script('/busy', [{ status: 503 }]);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/busy'), secret: 'busy-secret-1', display_name: 'Busy site' });
    const post = await api(page, 'POST', '/v1/posts', { content: 'Will wait for a retry', accounts: [account.json.id] });
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await go(page, `/posts/${post.json.id}`);
    await page.locator('.badge-d-retrying').first().waitFor({ timeout: 20_000 }); // the default retry waits a minute
    await page.getByRole('button', { name: 'Stop…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click();
    await page.locator('.badge-failed', { hasText: 'Failed' }).first().waitFor({ timeout: 20_000 });
    await page.getByText('You stopped its automatic retries. Press Retry to try again.').waitFor();
    await page.getByText(/You stopped its retries\. Use Retry/).first().waitFor();
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    expect(await page.getByRole('button', { name: 'Stop…' }).count()).toBe(0);
    expect(receiver.on('/busy')).toHaveLength(1);
    await screenshot(page, '11b-post-stopped');
  });

  it('stops a delivery while it is being sent: the attempt finishes, and is not retried', { timeout: 60_000 }, async () => {
    receiver.script('/slow', [{ status: 503, delayMs: 4000 }]);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/slow'), secret: 'slow-secret-1', display_name: 'Slow site' });
    const post = await api(page, 'POST', '/v1/posts', { content: 'Stopped mid-way', accounts: [account.json.id] });
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await receiver.waitFor(1, '/slow');
    await go(page, `/posts/${post.json.id}`);
    await page.getByRole('button', { name: 'Stop…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click();
    await page.getByText('this attempt finishes, and is not tried again').waitFor();
    expect(await page.getByRole('button', { name: 'Stop…' }).count()).toBe(0);
    await screenshot(page, '11c-post-stopping');
    await page.locator('.badge-failed', { hasText: 'Failed' }).first().waitFor({ timeout: 20_000 });
    await page.getByText(/503.*You stopped its retries\. Use Retry/).first().waitFor();
    expect(receiver.on('/slow')).toHaveLength(1);
  });

  it('flags an account the network refused, and reconnects it from the Accounts page', { timeout: 60_000 }, async () => {
    receiver.script('/locked', [{ status: 401, body: { error: 'bad signature' } }]);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/locked'), secret: 'old-secret-1', display_name: 'Locked site' });
    const post = await api(page, 'POST', '/v1/posts', { content: 'Refused credentials', accounts: [account.json.id] });
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await go(page, `/posts/${post.json.id}`);
    await page.getByText("The network refused this account's credentials.").waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Go to Accounts' }).click();
    const card = page.locator('.card', { hasText: 'Locked site' });
    await card.getByText('! Needs reconnecting').waitFor();
    await screenshot(page, '10b-account-needs-reconnecting');
    await card.getByRole('button', { name: 'Reconnect' }).click();
    await page.getByRole('heading', { name: 'Reconnect Locked site' }).waitFor();
    await page.getByLabel('Webhook URL').fill(receiver.url('/locked'));
    await page.getByLabel('Secret').fill('new-secret-1');
    // This receiver turns out not to drop repeated Idempotency-Keys: say so while reconnecting.
    const dropsRepeats = page.getByRole('checkbox', { name: 'The receiver drops repeats (same Idempotency-Key)' });
    expect(await dropsRepeats.isChecked()).toBe(true);
    await dropsRepeats.uncheck();
    await page.getByRole('button', { name: 'Reconnect', exact: true }).last().click();
    await card.getByText('✓ Active').waitFor();
    await card.getByText('The receiver does not drop repeats').waitFor();
    expect((await api(page, 'GET', `/v1/accounts/${account.json.id}`)).json).toMatchObject({ is_active: true, deduplicates: false });
  });

  it('saves a draft, lists it beside the calendar, and schedules it by dragging it onto a time', { timeout: 60_000 }, async () => {
    await go(page, '/compose');
    await page.getByLabel('Post text').fill('A draft for later');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await heading(page, 'Edit post');
    await page.getByText('Draft saved.').waitFor();
    const draftId = page.url().split('/posts/')[1]!.replace('/edit', '');

    await page.getByRole('link', { name: 'Calendar' }).click();
    await heading(page, 'Calendar');
    await page.getByRole('button', { name: 'Bulk Schedule' }).click();
    const bulk = page.getByRole('dialog', { name: 'Bulk Schedule' });
    await bulk.getByText('A draft for later').waitFor();
    await screenshot(page, '12-bulk-schedule');
    await bulk.getByRole('button', { name: 'Close' }).first().click();

    await page.getByRole('button', { name: 'Week' }).click();
    await page.getByRole('button', { name: 'Next ›' }).click();
    // The third day shown in next week's view, whichever day the locale starts weeks on.
    const column = page.locator('td.fc-timegrid-col[data-date]').nth(2);
    const day = DateTime.fromISO((await column.getAttribute('data-date'))!, { zone: NY });
    const draft = page.locator('.draft-item', { hasText: 'A draft for later' });
    const slot = page.locator('td.fc-timegrid-slot-lane[data-time="14:00:00"]');
    await column.scrollIntoViewIfNeeded();
    await slot.scrollIntoViewIfNeeded();
    const colBox = (await column.boundingBox())!;
    const slotBox = (await slot.boundingBox())!;
    await dragToPoint(page, draft, colBox.x + colBox.width / 2, slotBox.y + slotBox.height / 2);
    await page.getByText(/^Scheduled for /).waitFor();
    const scheduled = (await api(page, 'GET', `/v1/posts/${draftId}`)).json;
    expect(scheduled.status).toBe('scheduled');
    expect(DateTime.fromISO(scheduled.scheduled_for, { zone: NY }).toFormat('yyyy-MM-dd HH:mm')).toBe(`${day.toFormat('yyyy-MM-dd')} 14:00`);
    await page.locator('.fc-event', { hasText: 'A draft for later' }).waitFor();
    await screenshot(page, '13-calendar-week');
  });

  it('shows a busy day as its first posts and "+N more", which opens that day', { timeout: 30_000 }, async () => {
    const day = DateTime.now().setZone(NY).plus({ months: 1 }).set({ day: 20, hour: 8, minute: 0, second: 0, millisecond: 0 });
    for (let i = 0; i < 6; i++) {
      const res = await api(page, 'POST', '/v1/posts', { content: `Busy day post ${i}`, preset_id: 'preset_sys_all', scheduled_for: day.plus({ minutes: 30 * i }).toUTC().toISO() });
      expect(res.status).toBe(201);
    }
    await go(page, `/calendar?view=dayGridMonth&date=${day.toFormat('yyyy-MM-01')}`);
    const cell = page.locator(`td[data-date="${day.toFormat('yyyy-MM-dd')}"]`);
    await cell.getByText('+3 more').waitFor();
    expect(await cell.locator('.fc-event.ev').count()).toBe(3);
    await cell.getByText('+3 more').click();
    await page.locator('.fc-timeGridDay-view').waitFor();
    expect(await page.locator('.fc-event', { hasText: 'Busy day post' }).count()).toBe(6);
    expect(page.url()).toContain(`view=timeGridDay&date=${day.toFormat('yyyy-MM-dd')}`);
  });

  it('lists posts filtered by status', { timeout: 30_000 }, async () => {
    await page.getByRole('link', { name: 'Posts' }).click();
    await heading(page, 'Posts');
    await page.getByText('This one will be refused first').waitFor();
    await page.getByRole('button', { name: 'Scheduled', exact: true }).click();
    await page.getByText('Hello from the calendar test').waitFor();
    await expect.poll(() => page.getByText('This one will be refused first').count()).toBe(0);
    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    await page.getByText('Refused credentials').waitFor();
    await expect.poll(() => page.getByText('Hello from the calendar test').count()).toBe(0);
    await page.getByRole('button', { name: 'Partially failed', exact: true }).click();
    await page.getByText('No partially failed post.').waitFor();
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.getByText('This one will be refused first').waitFor();
    await screenshot(page, '14-posts');
  });

  it('manages presets and API keys', { timeout: 30_000 }, async () => {
    await go(page, '/presets');
    await heading(page, 'Presets');
    await page.getByRole('button', { name: 'New preset' }).click();
    const dialog = page.getByRole('dialog', { name: 'New preset' });
    await dialog.getByLabel('Name').fill('Blog only');
    await dialog.getByRole('checkbox', { name: /My blog/ }).check();
    await dialog.getByRole('checkbox', { name: /Default preset/ }).check();
    await dialog.getByRole('button', { name: 'Save preset' }).click();
    await page.locator('.card', { hasText: 'Blog only' }).getByText('★ Default').waitFor();
    await screenshot(page, '15-presets');
    await go(page, '/compose');
    await expect.poll(async () => page.getByLabel('Preset').locator('option:checked').textContent()).toBe('Blog only (default)');

    await go(page, '/settings');
    await page.getByLabel('Key name').fill('Deploy script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    expect(key).toMatch(/^oct_live_/);
    const viaKey = await fetch(`${server.url}/v1/posts`, { headers: { authorization: `Bearer ${key}` } });
    expect(viaKey.status).toBe(200);
    await screenshot(page, '16-settings-keys');
    await page.getByRole('button', { name: 'Revoke Deploy script' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('No active key.').waitFor();
    expect((await fetch(`${server.url}/v1/posts`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it('has no accessibility problem that axe-core finds, on every main page', { timeout: 60_000 }, async () => {
    // bypassCSP: the page's policy (rightly) refuses the injected checker.
    const audit = await newContext(browser, { timezoneId: NY, storageState: await ny.storageState(), bypassCSP: true });
    try {
      const p = await audit.newPage();
      for (const path of ['/compose', '/calendar', '/posts', `/posts/${postId}`, '/accounts', '/presets', '/settings']) {
        await go(p, path);
        await p.locator('h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        expect(await axeViolations(p), `axe on ${path}`).toEqual([]);
      }
    } finally {
      await audit.close();
    }
  });

  it('stays readable on a phone, with long unbroken text', { timeout: 30_000 }, async () => {
    const long = `${'https://example.com/'.padEnd(300, 'x')} ${'Supercalifragilistic'.repeat(20)}`;
    const created = await api(page, 'POST', '/v1/posts', { content: long, preset_id: 'preset_sys_all' });
    expect(created.status).toBe(201);
    const phone = await newContext(browser, { timezoneId: NY, storageState: await ny.storageState(), viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      for (const [path, name] of [['/posts', '17-phone-posts'], [`/posts/${created.json.id}`, '18-phone-post'], ['/calendar', '19-phone-calendar'], ['/compose', '20-phone-compose']] as const) {
        await go(p, path);
        await p.locator('h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
        await screenshot(p, name);
      }
      await p.getByRole('button', { name: 'Menu' }).click();
      await p.getByRole('link', { name: 'Settings' }).click();
      await heading(p, 'Settings');
    } finally {
      await phone.close();
    }
  });
});

/** FullCalendar drags on pointer moves: press, move in small steps, release. */
async function dragToPoint(page: Page, from: ReturnType<Page['locator']>, x: number, y: number) {
  await from.scrollIntoViewIfNeeded();
  const box = (await from.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 10));
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 10, box.y + 15, { steps: 5 });
  await page.mouse.move(x, y, { steps: 20 });
  await page.waitForTimeout(100);
  await page.mouse.up();
}

async function dragTo(page: Page, from: ReturnType<Page['locator']>, to: ReturnType<Page['locator']>) {
  const box = (await to.boundingBox())!;
  await dragToPoint(page, from, box.x + box.width / 2, box.y + box.height / 2);
}
