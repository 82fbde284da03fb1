import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, chromiumAvailable, launchBrowser, newContext, pageApi, screenshot } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { type OctopostProcess, startServe } from '../helpers/octopost-process.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * Issue 4 in the web app, in Chromium against the real server: Bulk Schedule across a
 * daylight-saving change, a bad pattern refused on its field, the posting queue and Add to queue,
 * and the CSV import (a bad row, then the fixed file). The tests share one story, in order.
 */
const NY = 'America/New_York';

describe.skipIf(!chromiumAvailable())('bulk scheduling, posting queue and CSV import in Chromium', () => {
  let db: TestDatabase;
  let server: OctopostProcess;
  let receiver: Receiver;
  let browser: Browser;
  let ny: BrowserContext;
  let page: Page;
  let accountId = '';

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    receiver = await new Receiver().start();
    server = await startServe({ OCTOPOST_DATA_DIR: db.dataDir });
    browser = await launchBrowser();
    ny = await newContext(browser, { timezoneId: NY });
    page = await ny.newPage();
    // Signed in through the API (the page shares its cookies); the sign-in pages have their own tests.
    expect((await api(page, 'POST', '/v1/setup', { email: 'owner@example.com', password: 'a long passphrase' })).status).toBe(201);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/blog'), secret: 'blog-secret-1', display_name: 'Blog' });
    expect(account.status).toBe(201);
    accountId = account.json.id;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.stop();
    await db?.drop();
  });

  const api = (p: Page, method: string, path: string, body?: unknown) => pageApi(server.url)(p, method, path, body);
  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);
  const heading = (p: Page, name: string) => p.getByRole('heading', { level: 1, name }).waitFor();
  const draft = async (content: string) => {
    const res = await api(page, 'POST', '/v1/posts', { content, accounts: [accountId] });
    expect(res.status).toBe(201);
    return res.json.id as string;
  };
  const allPosts = async () => (await api(page, 'GET', '/v1/posts?limit=500')).json.posts as { id: string; content: string; status: string; scheduled_for: string | null }[];

  /** The second Sunday of March of next year: clocks go forward in New York (02:00 → 03:00). */
  const dstSunday = (() => {
    const march = DateTime.fromObject({ year: DateTime.now().year + 1, month: 3, day: 1 }, { zone: NY });
    return march.plus({ days: (7 - march.weekday) % 7 + 7 });
  })();

  it('bulk-schedules 3 drafts daily at 09:00 across the spring-forward change, in the order chosen', { timeout: 60_000 }, async () => {
    const ids = [await draft('DST draft one'), await draft('DST draft two'), await draft('DST draft three')];
    const start = dstSunday.minus({ days: 1 });

    await go(page, '/calendar');
    await heading(page, 'Calendar');
    await page.getByRole('button', { name: 'Bulk Schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bulk Schedule' });
    // Ticked out of order, then put right with the buttons: the order is the slots' order.
    for (const n of ['three', 'one', 'two']) await dialog.getByRole('checkbox', { name: `DST draft ${n}` }).check();
    await dialog.getByRole('button', { name: 'Move down: DST draft three' }).click();
    await dialog.getByRole('button', { name: 'Move down: DST draft three' }).click();
    expect(await dialog.locator('.bulk-order li .bulk-order-text').allTextContents()).toEqual(['DST draft one', 'DST draft two', 'DST draft three']);

    await dialog.getByLabel('Every day').check();
    await dialog.getByLabel('Time 1').fill('09:00');
    await dialog.getByLabel('Start date').fill(start.toISODate()!);
    expect(await dialog.getByLabel('Time zone').inputValue()).toBe(NY);
    await screenshot(page, 'bq-01-bulk-dialog');

    await dialog.getByRole('button', { name: 'Preview' }).click();
    const rows = dialog.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) await rows.nth(i).getByText(/09:00/).waitFor();
    await screenshot(page, 'bq-02-bulk-preview');
    await dialog.getByRole('button', { name: 'Confirm: schedule 3 posts' }).click();
    await page.getByText(/^3 posts scheduled, the first /).waitFor();

    const times = await Promise.all(ids.map(async (id) => (await api(page, 'GET', `/v1/posts/${id}`)).json));
    times.forEach((post, i) => {
      expect(post.status).toBe('scheduled');
      expect(DateTime.fromISO(post.scheduled_for, { zone: NY }).toFormat('yyyy-MM-dd HH:mm')).toBe(`${start.plus({ days: i }).toISODate()} 09:00`);
    });
    const instants = times.map((p) => DateTime.fromISO(p.scheduled_for).toMillis());
    expect((instants[1]! - instants[0]!) / 3_600_000).toBe(23);
    expect((instants[2]! - instants[1]!) / 3_600_000).toBe(24);

    // The calendar opens on their month and shows them at 09:00.
    const event = page.locator('.fc-event', { hasText: 'DST draft two' });
    await event.waitFor();
    expect(await event.locator('.fc-event-time').textContent()).toBe('09:00');
    await screenshot(page, 'bq-03-calendar-after-bulk');
  });

  it('flags a time the change skips, and refuses an end date before the start on that field, scheduling nothing', { timeout: 60_000 }, async () => {
    const id = await draft('Pattern check draft');
    await go(page, '/calendar');
    await heading(page, 'Calendar');
    await page.getByRole('button', { name: 'Bulk Schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bulk Schedule' });
    await dialog.getByRole('checkbox', { name: 'Pattern check draft' }).check();
    await dialog.getByLabel('Time 1').fill('02:30');
    await dialog.getByLabel('Start date').fill(dstSunday.toISODate()!);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const row = dialog.locator('tbody tr').first();
    await row.getByText('Adjusted').waitFor();
    expect(await row.textContent()).toMatch(/03:30/);
    await dialog.getByRole('button', { name: 'Back to the pattern' }).click();

    await dialog.getByLabel('Days of the week').check();
    await dialog.getByText('Sat', { exact: true }).click();
    await dialog.getByLabel('Start date').fill(dstSunday.toISODate()!);
    await dialog.getByLabel('End date (optional)').fill(dstSunday.minus({ days: 3 }).toISODate()!);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const end = dialog.getByLabel('End date (optional)');
    await expect.poll(() => end.getAttribute('aria-invalid')).toBe('true');
    const described = (await end.getAttribute('aria-describedby'))!.split(' ');
    const message = await page.locator(`[id="${described[described.length - 1]}"]`).textContent();
    expect(message).toBe('The end date is before the start date.');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('date');
    expect(await dialog.locator('tbody tr').count()).toBe(0);
    await screenshot(page, 'bq-04-bulk-error');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api(page, 'GET', `/v1/posts/${id}`)).json).toMatchObject({ status: 'draft', scheduled_for: null });
  });

  it('sets a weekly queue on the Accounts page; Add to queue from Compose and from a draft fills the first free slots', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await heading(page, 'Accounts');
    await page.getByRole('link', { name: 'Queue of Blog' }).click();
    await heading(page, 'Queue: Blog');
    await page.getByText('No slot yet').waitFor();
    // Mon–Fri is preselected: 09:00 and 12:30.
    await page.getByRole('button', { name: 'Mon–Fri' }).click();
    await page.getByLabel('Time', { exact: true }).fill('09:00');
    await page.getByRole('button', { name: 'Add slots' }).click();
    await page.getByLabel('Time', { exact: true }).fill('12:30');
    await page.getByRole('button', { name: 'Add slots' }).click();
    expect(await page.getByLabel('Time zone of the slots').inputValue()).toBe(NY);
    await page.getByRole('button', { name: 'Save queue' }).click();
    await page.getByText('Queue saved: 10 slots a week.').waitFor();
    const queue = (await api(page, 'GET', `/v1/accounts/${accountId}/queue`)).json;
    expect(queue.timezone).toBe(NY);
    expect(queue.slots).toHaveLength(10);
    const free = queue.upcoming.filter((u: { post_ids: string[] }) => u.post_ids.length === 0);
    expect(free.length).toBeGreaterThanOrEqual(2);
    await page.locator('.slot-empty').first().waitFor();
    await screenshot(page, 'bq-05-queue');

    await page.getByRole('link', { name: 'Compose' }).click();
    await heading(page, 'Compose');
    await page.getByLabel('Post text').fill('Queued from compose');
    await page.getByRole('button', { name: 'Add to queue' }).click();
    await heading(page, 'Post');
    const postId = page.url().split('/posts/')[1]!;
    const post = (await api(page, 'GET', `/v1/posts/${postId}`)).json;
    expect(post).toMatchObject({ status: 'scheduled', scheduled_for: free[0].scheduled_for });
    const local = DateTime.fromISO(free[0].scheduled_for, { zone: NY }).toFormat('HH:mm');
    await page.getByText(new RegExp(`Goes out .*${local}`)).waitFor();
    await page.getByText(/^Added to the queue: goes out /).waitFor();

    // From a draft's page.
    const second = await draft('Queued from its page');
    await go(page, `/posts/${second}`);
    await page.getByRole('button', { name: 'Add to queue' }).click();
    await page.getByText(/^Added to the queue: goes out /).waitFor();
    expect((await api(page, 'GET', `/v1/posts/${second}`)).json.scheduled_for).toBe(free[1].scheduled_for);

    await go(page, `/accounts/${accountId}/queue`);
    await heading(page, 'Queue: Blog');
    await page.locator('.slot-filled').getByRole('link', { name: 'Queued from compose' }).waitFor();
    await page.locator('.slot-filled').getByRole('link', { name: 'Queued from its page' }).waitFor();
    await screenshot(page, 'bq-06-queue-filled');
  });

  it('imports a CSV: a bad row shows its line and reason and imports nothing; the fixed file imports every row', { timeout: 60_000 }, async () => {
    const day = DateTime.now().setZone(NY).plus({ months: 1 }).set({ day: 10 });
    const csv = (second: string) =>
      [
        'content,scheduled_at,platforms',
        `"CSV one, with a comma",${day.toISODate()} 09:00,webhook`,
        `"CSV two",${second},webhook`,
        `"CSV three, queued",,webhook`,
        '',
      ].join('\n');
    await page.getByRole('link', { name: 'Import' }).click();
    await heading(page, 'Import');
    const example = page.getByRole('link', { name: 'Download an example file' });
    expect(await example.getAttribute('download')).toBe('octopost-example.csv');
    expect(await example.getAttribute('href')).toMatch(/^data:text\/csv/);

    await page.getByLabel('Or paste the CSV').fill(csv('next tuesday-ish'));
    await page.getByRole('button', { name: 'Check' }).click();
    const bad = page.locator('tr.row-bad');
    await bad.first().waitFor();
    expect(await bad.count()).toBe(1);
    expect(await bad.locator('td').nth(0).textContent()).toBe('3');
    expect(await bad.locator('td').nth(1).textContent()).toBe('scheduled_at');
    expect((await bad.locator('td').nth(2).textContent())!.length).toBeGreaterThan(5);
    await page.getByText('Nothing was imported.').waitFor();
    expect(await page.getByRole('button', { name: /^Import/ }).isDisabled()).toBe(true);
    await screenshot(page, 'bq-07-import-bad-row');
    expect((await allPosts()).filter((p) => p.content.startsWith('CSV '))).toHaveLength(0);

    // The fixed file, chosen as a file.
    await page.getByLabel('CSV file').setInputFiles({ name: 'posts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(`${day.plus({ days: 1 }).toISODate()} 18:15`)) });
    await expect.poll(() => page.getByLabel('Or paste the CSV').inputValue()).toContain('18:15');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('heading', { name: 'Ready to import: 3 rows' }).waitFor();
    await page.locator('.badge-queued').first().waitFor();
    expect((await allPosts()).filter((p) => p.content.startsWith('CSV '))).toHaveLength(0);
    await screenshot(page, 'bq-08-import-checked');
    await page.getByRole('button', { name: 'Import 3 posts' }).click();
    await page.getByRole('heading', { name: '3 posts imported' }).waitFor();
    await page.getByRole('link', { name: 'See them on the calendar' }).waitFor();
    await screenshot(page, 'bq-09-import-done');

    const imported = (await allPosts()).filter((p) => p.content.startsWith('CSV '));
    expect(imported).toHaveLength(3);
    expect(imported.every((p) => p.status === 'scheduled')).toBe(true);
    const one = imported.find((p) => p.content === 'CSV one, with a comma')!;
    expect(DateTime.fromISO(one.scheduled_for!, { zone: NY }).toFormat('yyyy-MM-dd HH:mm')).toBe(`${day.toISODate()} 09:00`);
    await page.getByRole('link', { name: /^Line 2/ }).click();
    await heading(page, 'Post');
    expect(page.url()).toContain(`/posts/${one.id}`);
  });

  it('keeps the new pages accessible (axe) and readable on a phone', { timeout: 60_000 }, async () => {
    const audit = await newContext(browser, { timezoneId: NY, storageState: await ny.storageState(), bypassCSP: true });
    try {
      const p = await audit.newPage();
      for (const path of ['/import', `/accounts/${accountId}/queue`, '/calendar']) {
        await go(p, path);
        await p.locator('h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        if (path === '/calendar') {
          await p.getByRole('button', { name: 'Bulk Schedule' }).click();
          await p.getByRole('dialog', { name: 'Bulk Schedule' }).getByRole('checkbox').first().check();
        }
        expect(await axeViolations(p), `axe on ${path}`).toEqual([]);
      }
    } finally {
      await audit.close();
    }
    const phone = await newContext(browser, { timezoneId: NY, storageState: await ny.storageState(), viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      for (const [path, name] of [['/import', 'bq-10-phone-import'], [`/accounts/${accountId}/queue`, 'bq-11-phone-queue'], ['/calendar', 'bq-12-phone-bulk']] as const) {
        await go(p, path);
        await p.locator('h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        if (path === '/calendar') {
          await p.getByRole('button', { name: 'Bulk Schedule' }).click();
          await p.getByRole('dialog', { name: 'Bulk Schedule' }).getByRole('checkbox').first().check();
        }
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
        await screenshot(p, name);
      }
    } finally {
      await phone.close();
    }
  });
});
