import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWebhook } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Receiver } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { MastodonFake } from '../peers/mastodon-fake.js';

/**
 * Cross-posting presets: the primary network goes first, the others carry its link; when the
 * primary fails they go out without it and say so.
 */
describe.each(await dialects())('cross-link presets on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let receiver: Receiver;
  let fake: MastodonFake;
  let mastodonId: string;
  let webhookId: string;
  let presetId: string;

  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
    fake = await new MastodonFake().start();
    t = await createTestApp(dialect, { clock, worker: true });
    const mastodon = await t.request('POST', '/v1/accounts', { platform: 'mastodon', instance: fake.url, access_token: fake.createToken() });
    expect(mastodon.status).toBe(201);
    mastodonId = mastodon.json.id;
    webhookId = await connectWebhook(t.request, receiver.url('/blog'));
    const preset = await t.request('POST', '/v1/presets', {
      name: 'Toot first',
      accounts: [webhookId, mastodonId],
      primary_platform: 'mastodon',
      cross_link_enabled: true,
      cross_link_template: 'Discuss it on {platform}: {link}',
    });
    expect(preset.status, JSON.stringify(preset.json)).toBe(201);
    presetId = preset.json.id;
  });
  afterEach(async () => {
    await receiver.stop();
    await t.close();
    await fake.close();
  });

  /** Runs the scheduler until the post is finished (the follower is released by the primary). */
  async function publishAll(postId: string) {
    // Small steps: a jump past the lease while an attempt is in flight would look like a crash.
    for (let i = 0; i < 40; i++) {
      clock.advance(5_000);
      await t.app.scheduler!.drain();
      const post = (await t.request('GET', `/v1/posts/${postId}`)).json;
      if (!['scheduled', 'publishing'].includes(post.status)) return post;
    }
    throw new Error('the post did not finish');
  }

  it('publishes the primary first and fills its link into the others', async () => {
    const created = await t.request('POST', '/v1/posts', {
      content: 'New release is out',
      preset_id: presetId,
      scheduled_for: new Date(clock.now() + 30_000).toISOString(),
    });
    expect(created.status).toBe(201);
    const waiting = created.json.deliveries.find((d: any) => d.account_id === webhookId);
    const primary = created.json.deliveries.find((d: any) => d.account_id === mastodonId);
    expect(waiting.waiting_for).toBe(primary.id);

    const post = await publishAll(created.json.id);
    expect(post.status).toBe('published');
    expect(fake.statuses).toHaveLength(1);
    const tootUrl = post.deliveries.find((d: any) => d.account_id === mastodonId).post_url;
    expect(tootUrl).toMatch(/^http/);
    const [hook] = receiver.on('/blog');
    expect(hook!.json.content).toBe(`New release is out\n\nDiscuss it on Mastodon: ${tootUrl}`);
    const follower = post.deliveries.find((d: any) => d.account_id === webhookId);
    expect(follower).toMatchObject({ status: 'published', waiting_for: null, detail: null });
    expect(Date.parse(follower.published_at)).toBeGreaterThanOrEqual(Date.parse(post.deliveries.find((d: any) => d.account_id === mastodonId).published_at));
  });

  it('sends the others without the link when the primary fails, and says so', async () => {
    fake.failNext('invalid_content');
    const created = await t.request('POST', '/v1/posts', { content: 'Launch day', preset_id: presetId, scheduled_for: new Date(clock.now() + 30_000).toISOString() });
    const post = await publishAll(created.json.id);
    expect(post.status, JSON.stringify(post.deliveries)).toBe('partially_failed');
    const [hook] = receiver.on('/blog');
    expect(hook!.json.content).toBe('Launch day');
    const follower = post.deliveries.find((d: any) => d.account_id === webhookId);
    expect(follower.status).toBe('published');
    expect(follower.detail).toMatch(/without the cross-link.*Mastodon.*failed/);
  });

  it('picking accounts directly (no preset) sends them independently', async () => {
    const created = await t.request('POST', '/v1/posts', { content: 'Plain', accounts: [webhookId, mastodonId], scheduled_for: new Date(clock.now() + 30_000).toISOString() });
    expect(created.json.deliveries.every((d: any) => d.waiting_for === null)).toBe(true);
    const post = await publishAll(created.json.id);
    expect(post.status).toBe('published');
    expect(receiver.on('/blog')[0]!.json.content).toBe('Plain');
  });
});
