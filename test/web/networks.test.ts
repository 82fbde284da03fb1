import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, chromiumAvailable, launchBrowser, newContext, pageApi, screenshot } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { type OctopostProcess, startServe } from '../helpers/octopost-process.js';
import { Receiver } from '../helpers/receiver.js';
import { MastodonFake } from '../peers/mastodon-fake.js';
import { XFake } from '../peers/x-fake.js';

/**
 * The web app's side of real networks (issue 5), in Chromium against the real server: connecting
 * X on a server without an X client (the admin's sentence, no navigation), Mastodon by pasted
 * token and in the browser against a local Mastodon whose limit is 1,000, the composer counting
 * with that account's own limit, accounts that need reconnecting, cross-posting presets, and the
 * Accounts page checked by axe-core. One story, in order.
 */
const NY = 'America/New_York';

describe.skipIf(!chromiumAvailable())('web app: connecting networks', () => {
  let db: TestDatabase;
  let server: OctopostProcess;
  let receiver: Receiver;
  let mastodon: MastodonFake;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let mastodonToken = '';
  let mastodonAccountId = '';
  let blogId = '';

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    receiver = await new Receiver().start();
    mastodon = await new MastodonFake({ maxCharacters: 1000 }).start();
    // No OCTOPOST_X_CLIENT_ID: X is known to the server but not configured.
    server = await startServe({ OCTOPOST_DATA_DIR: db.dataDir });
    browser = await launchBrowser();
    context = await newContext(browser, { timezoneId: NY });
    page = await context.newPage();
    // Signed in through the API (the page shares its cookies); the sign-in pages have their own tests.
    expect((await api(page, 'POST', '/v1/setup', { email: 'owner@example.com', password: 'a long passphrase' })).status).toBe(201);
    const blog = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/blog'), secret: 'blog-secret-1', display_name: 'My blog' });
    expect(blog.status).toBe(201);
    blogId = blog.json.id;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await mastodon?.close();
    await receiver?.stop();
    await db?.drop();
  });

  const api = (p: Page, method: string, path: string, body?: unknown) => pageApi(server.url)(p, method, path, body);
  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);
  const heading = (p: Page, name: string) => p.getByRole('heading', { level: 1, name }).waitFor();
  const card = (name: string) => page.locator('.card', { has: page.getByRole('heading', { name, exact: true }) });

  it('offers each network of the server; X without a configured client shows what the admin must set, and stays', { timeout: 30_000 }, async () => {
    const platforms = (await api(page, 'GET', '/v1/platforms')).json.platforms.map((p: { name: string }) => p.name);
    expect(platforms).toContain('x');
    await go(page, '/accounts');
    await heading(page, 'Accounts');
    await page.getByRole('heading', { name: 'Connect an account' }).waitFor();
    await page.getByRole('heading', { name: 'Mastodon', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Webhook', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Connect X', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'X cannot be connected on this server yet.' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('OCTOPOST_X_CLIENT_ID');
    expect(new URL(page.url()).pathname).toBe('/accounts');
    await screenshot(page, 'net-01-x-not-configured');
  });

  it('shows what a network said after an aborted approval, then cleans the address', { timeout: 30_000 }, async () => {
    await go(page, `/accounts?connect_error=${encodeURIComponent('mastodon did not grant access (access_denied). Nothing was connected.')}`);
    await page.getByRole('alert').filter({ hasText: 'Not connected: mastodon did not grant access (access_denied).' }).waitFor();
    await expect.poll(() => page.url()).toBe(`${server.url}/accounts`);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByText('did not grant access').count()).toBe(0);
  });

  it('connects Mastodon with a pasted access token: the account appears with its avatar, handle and network', { timeout: 30_000 }, async () => {
    mastodonToken = mastodon.createToken();
    await go(page, '/accounts');
    await page.getByLabel('Instance', { exact: true }).fill(mastodon.url);
    await page.getByText('Or paste an access token').click();
    await page.getByLabel('Access token').fill(mastodonToken);
    await page.getByRole('button', { name: 'Connect with the token' }).click();
    const octo = card('Octo Pus');
    await octo.waitFor();
    await octo.getByText(`@octo@${mastodon.host} · Mastodon`).waitFor();
    await octo.getByText('✓ Active').waitFor();
    expect(await octo.locator('.avatar').count()).toBe(1);
    const accounts = (await api(page, 'GET', '/v1/accounts')).json.accounts as { id: string; platform: string; rules: { max_length: number } }[];
    const account = accounts.find((a) => a.platform === 'mastodon')!;
    expect(account.rules.max_length).toBe(1000);
    mastodonAccountId = account.id;
    await screenshot(page, 'net-02-mastodon-connected');
  });

  it("counts in Compose with the account's own limit (1,000 on this instance) and publishes a 600-character post", { timeout: 60_000 }, async () => {
    await go(page, '/compose');
    await heading(page, 'Compose');
    await page.getByLabel('Preset').selectOption('');
    await page.getByRole('checkbox', { name: /My blog/ }).uncheck();
    await page.getByRole('checkbox', { name: /Octo Pus/ }).check();

    await page.getByLabel('Post text').fill('a'.repeat(1001));
    await page.getByText('Mastodon 1,001 / 1,000').waitFor();
    await page.getByText('The post is 1 characters too long for Mastodon (1,001 of 1,000).').waitFor();
    // Links count 23 on Mastodon, whatever their length.
    await page.getByLabel('Post text').fill(`Read https://example.com/${'x'.repeat(200)}`);
    await page.getByText('Mastodon 28 / 1,000').waitFor();

    const text = `${'Six hundred characters of text. '.repeat(20).slice(0, 599)}.`;
    expect(text).toHaveLength(600);
    await page.getByLabel('Post text').fill(text);
    await page.getByText('Mastodon 600 / 1,000').waitFor();
    expect(await page.getByRole('list', { name: 'Problems to fix' }).count()).toBe(0);
    await screenshot(page, 'net-03-compose-mastodon-1000');
    await page.getByRole('button', { name: 'Publish now' }).click();
    await heading(page, 'Post');
    await page.locator('.badge-published', { hasText: 'Published' }).first().waitFor({ timeout: 20_000 });
    expect(mastodon.statuses.map((s) => s.text)).toEqual([text]);
    expect(mastodon.problems).toEqual([]);
  });

  it('shows the server’s refusal under the text: the instance lowered its limit since the page loaded', { timeout: 30_000 }, async () => {
    await go(page, '/compose');
    await heading(page, 'Compose');
    await page.getByLabel('Preset').selectOption('');
    await page.getByRole('checkbox', { name: /My blog/ }).uncheck();
    await page.getByText('Mastodon 0 / 1,000').waitFor();
    // Meanwhile the instance goes down to 100 characters and the account is reconnected (its limit is read again).
    const reconnect = async () => {
      mastodonToken = mastodon.createToken();
      const again = await api(page, 'POST', '/v1/accounts', { platform: 'mastodon', instance: mastodon.url, access_token: mastodonToken });
      expect(again.status).toBe(200);
      return again.json.rules.max_length as number;
    };
    mastodon.maxCharacters = 100;
    expect(await reconnect()).toBe(100);
    try {
      await page.getByLabel('Post text').fill('c'.repeat(600));
      await page.getByText('Mastodon 600 / 1,000').waitFor(); // what the page still knows
      await page.getByRole('button', { name: 'Save draft' }).click();
      const refusal = page.getByText('Refused by the server: The post is 500 characters too long for Mastodon (600 of 100).');
      await refusal.waitFor();
      const textarea = page.getByLabel('Post text');
      expect(await textarea.getAttribute('aria-invalid')).toBe('true');
      expect(await textarea.getAttribute('aria-describedby')).toBe(await refusal.getAttribute('id'));
      await page.getByText('Not saved: see the problem under the post text.').waitFor();
      // The page fetched the account's rules again: the counter now has the instance's new limit.
      await page.getByText('Mastodon 600 / 100').waitFor();
      await screenshot(page, 'net-04-compose-server-refusal');
      // Editing the text clears it.
      await textarea.fill('c'.repeat(50));
      await expect.poll(() => refusal.count()).toBe(0);
    } finally {
      mastodon.maxCharacters = 1000;
      expect(await reconnect()).toBe(1000);
    }
  });

  it('counts the cross-link a preset adds, as the server does', { timeout: 30_000 }, async () => {
    // The cross-link of a preset whose primary is the blog makes 990 characters longer than 1,000 on Mastodon.
    const preset = await api(page, 'POST', '/v1/presets', {
      name: 'Blog then Mastodon',
      accounts: [blogId, mastodonAccountId],
      primary_platform: 'webhook',
      cross_link_enabled: true,
      cross_link_template: 'More on the blog: {link}',
    });
    expect(preset.status).toBe(201);
    await go(page, '/compose');
    await heading(page, 'Compose');
    await page.getByLabel('Preset').selectOption(preset.json.id);
    // With the link (23) and the template around it, 990 characters go over 1,000 on Mastodon.
    await page.getByLabel('Post text').fill('b'.repeat(990));
    await page.getByText(/Mastodon 1,0\d\d \/ 1,000 with the link/).waitFor();
    await page.getByText(/Webhook 990 \/ 100,000/).waitFor();
    await page.getByText(/The post is \d+ characters too long for Mastodon \(with the cross-link\)/).waitFor();
    await screenshot(page, 'net-04b-compose-cross-link');

    // The server says the same when asked directly (the web app never sends it).
    const refused = await api(page, 'POST', '/v1/posts', { content: 'b'.repeat(990), preset_id: preset.json.id });
    expect(refused.status).toBe(422);
    expect(refused.json.details).toMatchObject({ field: 'content', platform: 'mastodon', limit: 1000 });
    expect((await api(page, 'DELETE', `/v1/presets/${preset.json.id}`)).status).toBe(204);
  });

  it('connects Mastodon in the browser: the network’s page, back with a notice naming the account', { timeout: 30_000 }, async () => {
    mastodon.addAccount('second', 'Second Octo');
    // The local Mastodon has no approval page: play the person approving, as the network would redirect.
    const authorizePage = (url: URL) => url.origin === mastodon.url && url.pathname === '/oauth/authorize';
    await page.route(authorizePage, async (route) => {
      const { code, state } = mastodon.approve(route.request().url(), 'second');
      await route.fulfill({ status: 302, headers: { location: `${server.url}/v1/accounts/connect/mastodon/callback?code=${code}&state=${state}` } });
    });
    try {
      await go(page, '/accounts');
      await page.getByLabel('Instance', { exact: true }).fill(mastodon.url);
      await page.getByRole('button', { name: 'Continue in the browser' }).click();
      await page.getByRole('status').filter({ hasText: `Second Octo (@second@${mastodon.host} on Mastodon) is connected.` }).waitFor();
      await expect.poll(() => page.url()).toBe(`${server.url}/accounts`);
      await card('Second Octo').getByText('✓ Active').waitFor();
      expect(mastodon.problems).toEqual([]);
      await screenshot(page, 'net-05-mastodon-oauth-back');
    } finally {
      await page.unroute(authorizePage);
    }
  });

  it('marks an account the network refused with its reason and a Reconnect button (webhook answering 401)', { timeout: 60_000 }, async () => {
    receiver.script('/locked', [{ status: 401, body: { error: 'bad signature' } }]);
    const account = await api(page, 'POST', '/v1/accounts', { platform: 'webhook', url: receiver.url('/locked'), secret: 'old-secret-1', display_name: 'Locked site' });
    const post = await api(page, 'POST', '/v1/posts', { content: 'Refused credentials', accounts: [account.json.id] });
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await expect.poll(async () => (await api(page, 'GET', `/v1/accounts/${account.json.id}`)).json.is_active, { timeout: 20_000 }).toBe(false);
    const reason = (await api(page, 'GET', `/v1/accounts/${account.json.id}`)).json.inactive_reason as string;
    expect(reason).toBeTruthy();

    await go(page, '/accounts');
    const locked = card('Locked site');
    await locked.getByText('! Needs reconnecting').waitFor();
    await locked.getByText(reason).waitFor();
    await locked.getByRole('button', { name: 'Reconnect Locked site' }).waitFor();
    await screenshot(page, 'net-06-inactive-webhook');
  });

  it('marks a Mastodon account whose token was revoked, and reconnects it with a new token from its card', { timeout: 60_000 }, async () => {
    mastodon.revoke(mastodonToken);
    const post = await api(page, 'POST', '/v1/posts', { content: 'After the revocation', accounts: [mastodonAccountId] });
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await expect.poll(async () => (await api(page, 'GET', `/v1/accounts/${mastodonAccountId}`)).json.is_active, { timeout: 20_000 }).toBe(false);

    await go(page, '/accounts');
    const octo = card('Octo Pus');
    await octo.getByText('! Needs reconnecting').waitFor();
    await octo.getByText('Reconnect it in the browser or with a new access token.').waitFor();
    await octo.getByRole('button', { name: 'Reconnect Octo Pus' }).click();
    await page.getByRole('heading', { name: 'Reconnect Octo Pus' }).waitFor();
    // The instance is filled in from the account (its host; the local one speaks http).
    expect(await page.getByLabel('Instance', { exact: true }).inputValue()).toBe(mastodon.host);
    await page.getByLabel('Instance', { exact: true }).fill(mastodon.url);
    await page.getByText('Or paste an access token').click();
    await page.getByLabel('Access token').fill(mastodon.createToken());
    await page.getByRole('button', { name: 'Connect with the token' }).click();
    await octo.getByText('✓ Active').waitFor();
    expect((await api(page, 'GET', `/v1/accounts/${mastodonAccountId}`)).json.is_active).toBe(true);
  });

  it('edits a preset’s primary network and cross-link, with the placeholders explained', { timeout: 30_000 }, async () => {
    await go(page, '/presets');
    await heading(page, 'Presets');
    await page.getByRole('button', { name: 'New preset' }).click();
    const dialog = page.getByRole('dialog', { name: 'New preset' });
    await dialog.getByLabel('Name').fill('Mastodon first');
    await dialog.getByRole('checkbox', { name: /My blog/ }).check();
    await dialog.getByRole('checkbox', { name: /Octo Pus/ }).check();
    await dialog.getByRole('checkbox', { name: 'Add a link to the primary post on the other networks' }).check();
    await dialog.getByLabel('Cross-link text').fill('Discuss it on {platform}');
    await dialog.getByRole('button', { name: 'Save preset' }).click();
    await dialog.getByText('Cross-linking needs a primary network').waitFor();
    await dialog.getByLabel('Primary network').selectOption('mastodon');
    await dialog.getByRole('button', { name: 'Save preset' }).click();
    await dialog.getByText('The template needs {link}').waitFor();
    await dialog.getByText('{excerpt}').waitFor();
    await dialog.getByLabel('Cross-link text').fill('Discuss it on {platform}: {link}');
    await screenshot(page, 'net-07-preset-cross-link');
    await dialog.getByRole('button', { name: 'Save preset' }).click();
    await page.locator('.card', { hasText: 'Mastodon first' }).getByText('Mastodon first, then the others').waitFor();
    const saved = ((await api(page, 'GET', '/v1/presets')).json.presets as { name: string }[]).find((p) => p.name === 'Mastodon first');
    expect(saved).toMatchObject({ primary_platform: 'mastodon', cross_link_enabled: true, cross_link_template: 'Discuss it on {platform}: {link}' });
  });

  it('shows on the post how a cross-linked delivery went out when its primary failed', { timeout: 60_000 }, async () => {
    const preset = ((await api(page, 'GET', '/v1/presets')).json.presets as { id: string; name: string }[]).find((p) => p.name === 'Mastodon first')!;
    mastodon.failNext('suspended');
    const post = await api(page, 'POST', '/v1/posts', { content: 'Cross-linked, but the primary fails', preset_id: preset.id });
    expect(post.status).toBe(201);
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await go(page, `/posts/${post.json.id}`);
    await heading(page, 'Post');
    await expect
      .poll(async () => ((await api(page, 'GET', `/v1/posts/${post.json.id}`)).json.deliveries as { platform: string; status: string }[]).find((d) => d.platform === 'webhook')?.status, { timeout: 20_000 })
      .toBe('published');
    const webhook = ((await api(page, 'GET', `/v1/posts/${post.json.id}`)).json.deliveries as { platform: string; detail: string | null }[]).find((d) => d.platform === 'webhook')!;
    expect(webhook.detail).toBeTruthy();
    await page.reload();
    await page.getByText(webhook.detail!).waitFor();
    await screenshot(page, 'net-08-post-detail-cross-link');
  });

  it('shows a delivery waiting for the primary network while that one is going out', { timeout: 60_000 }, async () => {
    const preset = await api(page, 'POST', '/v1/presets', {
      name: 'Blog first',
      accounts: [blogId, mastodonAccountId],
      primary_platform: 'webhook',
      cross_link_enabled: true,
      cross_link_template: 'Also on the blog: {link}',
    });
    expect(preset.status).toBe(201);
    // The blog (the primary) takes its time to answer: Mastodon waits for its link meanwhile.
    receiver.script('/blog', [{ status: 200, body: { id: 'blog-1', url: 'https://blog.example/posts/1' }, delayMs: 5000 }]);
    const post = await api(page, 'POST', '/v1/posts', { content: 'Blog first, then Mastodon', preset_id: preset.json.id });
    expect(post.status).toBe(201);
    expect((await api(page, 'POST', `/v1/posts/${post.json.id}/publish`)).status).toBe(202);
    await go(page, `/posts/${post.json.id}`);
    const octo = page.locator('.delivery', { hasText: 'Octo Pus' });
    await octo.getByText('Waiting for Webhook').waitFor();
    await screenshot(page, 'net-09-post-waiting-for-primary');
    await page.locator('.badge-published', { hasText: 'Published' }).first().waitFor({ timeout: 20_000 });
    await expect.poll(() => octo.getByText('Waiting for Webhook').count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => mastodon.statuses.find((s) => s.text.startsWith('Blog first, then Mastodon'))?.text, { timeout: 20_000 }).toMatch(/Also on the blog: \S+/);
  });

  it('has no accessibility problem that axe-core finds on the Accounts page (with notices and an inactive account)', { timeout: 60_000 }, async () => {
    const audit = await newContext(browser, { timezoneId: NY, storageState: await context.storageState(), bypassCSP: true });
    try {
      const p = await audit.newPage();
      await go(p, `/accounts?connected=${mastodonAccountId}`);
      await p.getByRole('status').filter({ hasText: 'is connected.' }).waitFor();
      await p.getByRole('button', { name: 'Connect X', exact: true }).click();
      await p.getByRole('alert').filter({ hasText: 'OCTOPOST_X_CLIENT_ID' }).waitFor();
      await p.getByText('Or paste an access token').click();
      await p.waitForLoadState('networkidle');
      expect(await axeViolations(p), 'axe on /accounts').toEqual([]);
      for (const path of ['/compose', '/presets']) {
        await go(p, path);
        await p.locator('h1').first().waitFor();
        await p.waitForLoadState('networkidle');
        expect(await axeViolations(p), `axe on ${path}`).toEqual([]);
      }
      await p.getByRole('button', { name: 'New preset' }).click();
      await p.getByRole('dialog').getByRole('checkbox', { name: 'Add a link to the primary post on the other networks' }).check();
      expect(await axeViolations(p), 'axe on the preset dialog').toEqual([]);
    } finally {
      await audit.close();
    }
  });

  it('fits a phone: the Accounts page does not scroll sideways', { timeout: 30_000 }, async () => {
    const phone = await newContext(browser, { timezoneId: NY, storageState: await context.storageState(), viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      await go(p, '/accounts');
      await heading(p, 'Accounts');
      await p.getByRole('heading', { name: 'Connect an account' }).waitFor();
      await p.waitForLoadState('networkidle');
      expect(await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await screenshot(p, 'net-10-phone-accounts');
    } finally {
      await phone.close();
    }
  });
});

/**
 * X connected in the browser against a local X API (test/peers/x-fake.ts), and the composer
 * counting X's way: twitter-text's weighted length (CJK characters count 2, links 23), loaded
 * only when a page counts, not with the first page.
 */
describe.skipIf(!chromiumAvailable())('web app: X in the browser and its weighted count', () => {
  const PUBLIC_URL = 'http://octopost.test';
  const CLIENT = { id: 'x-client-id', secret: 'x-client-secret', callbackUrls: [`${PUBLIC_URL}/v1/accounts/connect/x/callback`] };
  let db: TestDatabase;
  let server: OctopostProcess;
  let x: XFake;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    x = await new XFake(CLIENT).start();
    server = await startServe({
      OCTOPOST_DATA_DIR: db.dataDir,
      OCTOPOST_PUBLIC_URL: PUBLIC_URL,
      OCTOPOST_X_CLIENT_ID: CLIENT.id,
      OCTOPOST_X_CLIENT_SECRET: CLIENT.secret,
      OCTOPOST_X_API_URL: x.url,
      OCTOPOST_X_AUTHORIZE_URL: `${x.url}/i/oauth2/authorize`,
    });
    browser = await launchBrowser();
    page = await (await newContext(browser, { timezoneId: NY })).newPage();
    expect((await api(page, 'POST', '/v1/setup', { email: 'owner@example.com', password: 'a long passphrase' })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await x?.close();
    await db?.drop();
  });

  const api = (p: Page, method: string, path: string, body?: unknown) => pageApi(server.url)(p, method, path, body);
  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);
  const heading = (p: Page, name: string) => p.getByRole('heading', { level: 1, name }).waitFor();

  it('ships no twitter-text with the first page: it loads when the composer counts', async () => {
    const html = await (await fetch(`${server.url}/compose`)).text();
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(await (await fetch(`${server.url}${src}`)).text()).not.toContain('weightedLength');
  });

  it('connects X on its page (OAuth 2.0 with PKCE) and comes back with a notice naming the account', { timeout: 30_000 }, async () => {
    // The local X has no consent page: play the person approving, as x.com would redirect.
    await page.route(
      (url) => url.origin === x.url && url.pathname === '/i/oauth2/authorize',
      async (route) => {
        const { code, state } = x.approve(route.request().url());
        await route.fulfill({ status: 302, headers: { location: `${server.url}/v1/accounts/connect/x/callback?code=${code}&state=${state}` } });
      },
    );
    await go(page, '/accounts');
    await page.getByRole('button', { name: 'Connect X', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Octo Poster (@octo_poster on X) is connected.' }).waitFor();
    await expect.poll(() => page.url()).toBe(`${server.url}/accounts`);
    const card = page.locator('.card', { hasText: 'Octo Poster' });
    await card.getByText('@octo_poster · X').waitFor();
    // X's access lasts two hours and is renewed all the time: no expiry warning for it.
    expect((await api(page, 'GET', '/v1/accounts')).json.accounts[0].token_expires_at).toBeTruthy();
    expect(await card.getByText('Its access').count()).toBe(0);
    expect(x.problems).toEqual([]);
    await screenshot(page, 'net-11-x-connected');
  });

  it("counts X's weighted length in Compose (CJK 2, links 23) and refuses 141 CJK characters", { timeout: 60_000 }, async () => {
    await go(page, '/compose');
    await heading(page, 'Compose');
    expect(await page.getByRole('checkbox', { name: /Octo Poster/ }).isChecked()).toBe(true);
    await page.getByLabel('Post text').fill('日本語のテキスト');
    await page.getByText('X 16 / 280').waitFor();
    await page.getByLabel('Post text').fill(`Hi https://example.com/${'a'.repeat(100)}`);
    await page.getByText('X 26 / 280').waitFor();
    await page.getByLabel('Post text').fill('漢'.repeat(141));
    await page.getByText('X 282 / 280').waitFor();
    await page.getByText('The post is 2 characters too long for X (282 of 280).').waitFor();
    await screenshot(page, 'net-12-compose-x-weighted');

    await page.getByLabel('Post text').fill('漢'.repeat(140));
    await page.getByText('X 280 / 280').waitFor();
    await page.getByRole('button', { name: 'Publish now' }).click();
    await heading(page, 'Post');
    await page.locator('.badge-published', { hasText: 'Published' }).first().waitFor({ timeout: 20_000 });
    expect(x.published().map((t) => t.text)).toEqual(['漢'.repeat(140)]);
    expect(x.problems).toEqual([]);
  });
});
