import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWebhook, expectErrorBody } from '../helpers/api-client.js';
import { dialects } from '../helpers/databases.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Receiver } from '../helpers/receiver.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe.each(await dialects())('posts API on %s', (dialect) => {
  let t: TestApp;
  let clock: FakeClock;
  let receiver: Receiver;

  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
    // A long publish timeout: a 'hang' answer keeps its delivery publishing until the receiver stops.
    t = await createTestApp(dialect, { clock, worker: true, config: { publishTimeoutMs: 120_000 } });
  });
  afterEach(async () => {
    // The receiver first, so a hanging attempt ends (network error) before the scheduler stops.
    await receiver.stop();
    await t.close();
  });

  const iso = (ms: number) => new Date(ms).toISOString();
  const at = (ms: number) => iso(clock.now() + ms);
  const connect = (path: string, options: { secret?: string } = {}) => connectWebhook(t.request, receiver.url(path), options);
  const tick = async (ms: number) => {
    clock.advance(ms);
    await t.app.scheduler!.drain();
  };
  const get = async (id: string) => {
    const res = await t.request('GET', `/v1/posts/${id}`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json;
  };
  const create = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/posts', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json;
  };
  const list = async (query: string) => {
    const res = await t.request('GET', `/v1/posts${query}`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json as { posts: any[]; next_cursor: string | null };
  };
  const ids = (page: { posts: any[] }) => page.posts.map((p) => p.id);

  it('scheduling one draft several times at once (a double click, a retry) makes its deliveries once, and never answers 500', async () => {
    const accounts = [await connect('/a'), await connect('/b')];
    const draft = await create({ content: 'x', accounts });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.request('POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: at(HOUR + i * MINUTE) })),
    );
    expect(answers.map((a) => a.status).filter((status) => status !== 200)).toEqual([]);
    const post = await get(draft.id);
    expect(post.status).toBe('scheduled');
    expect(post.deliveries.map((d: any) => d.account_id).sort()).toEqual([...accounts].sort());
  });

  it('takes a post from draft through edit, schedule, move, cancel and reschedule to published', async () => {
    const acc = await connect('/main');
    expect(acc).toMatch(/^acc_/);

    const draft = await create({
      content: 'first words',
      accounts: [acc],
      media: { images: [{ url: 'https://img.example/a.png', alt_text: 'a cat' }] },
      segments: [{ content: 'and a reply' }],
    });
    expect(draft).toMatchObject({
      id: expect.stringMatching(/^post_/),
      content: 'first words',
      accounts: [acc],
      platforms: ['webhook'],
      status: 'draft',
      scheduled_for: null,
      deliveries: [],
      published_at: null,
      created_at: iso(clock.now()),
    });

    // PUT changes what it names; everything left out stays.
    clock.advance(1000);
    const edited = await t.request('PUT', `/v1/posts/${draft.id}`, { content: 'second words' });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({
      content: 'second words',
      accounts: [acc],
      media: { images: [{ url: 'https://img.example/a.png', alt_text: 'a cat' }] },
      segments: [{ content: 'and a reply' }],
      status: 'draft',
      scheduled_for: null,
      created_at: draft.created_at,
      updated_at: iso(clock.now()),
    });
    expect(await get(draft.id)).toMatchObject({ content: 'second words', segments: [{ content: 'and a reply' }] });

    const first = at(HOUR);
    const scheduled = await t.request('POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: first });
    expect(scheduled.status).toBe(200);
    expect(scheduled.json).toMatchObject({ status: 'scheduled', scheduled_for: first });
    expect(scheduled.json.deliveries).toEqual([
      expect.objectContaining({ account_id: acc, platform: 'webhook', status: 'pending', attempts: 0, next_attempt_at: first, post_id: null }),
    ]);

    // Editing a scheduled post keeps its time (scheduled_for was left out).
    const reworded = await t.request('PUT', `/v1/posts/${draft.id}`, { content: 'third words' });
    expect(reworded.json).toMatchObject({ status: 'scheduled', scheduled_for: first, content: 'third words' });
    expect(reworded.json.deliveries).toHaveLength(1);

    const moved = await t.request('POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: at(30 * MINUTE) });
    expect(moved.json).toMatchObject({ status: 'scheduled', scheduled_for: at(30 * MINUTE) });
    expect(moved.json.deliveries.map((d: any) => d.next_attempt_at)).toEqual([at(30 * MINUTE)]);

    const cancelled = await t.request('POST', `/v1/posts/${draft.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    // A draft has nothing to cancel.
    expectErrorBody(await t.request('POST', `/v1/posts/${draft.id}/cancel`), 409, 'conflict');

    const again = await t.request('POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: at(10 * MINUTE) });
    expect(again.json).toMatchObject({ status: 'scheduled', scheduled_for: at(10 * MINUTE) });

    await tick(10 * MINUTE - 1);
    expect(receiver.requests).toHaveLength(0);
    await tick(1);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.json).toMatchObject({ post_id: draft.id, content: 'third words', segments: [{ content: 'and a reply' }] });
    // The earlier times (30 min, 1 h) were replaced, not added: nothing more goes out.
    await tick(2 * HOUR);
    expect(receiver.requests).toHaveLength(1);

    const published = await get(draft.id);
    expect(published).toMatchObject({ status: 'published', scheduled_for: iso(clock.now() - 2 * HOUR), published_at: iso(clock.now() - 2 * HOUR) });
    expect(published.deliveries).toEqual([
      expect.objectContaining({
        status: 'published',
        attempts: 1,
        next_attempt_at: null,
        post_id: expect.stringMatching(/^remote-/),
        post_url: expect.stringMatching(/^https:\/\/example\.test\//),
        history: [expect.objectContaining({ attempt: 1, outcome: 'published' })],
      }),
    ]);

    // Finished posts do not change any more.
    for (const [method, path, body] of [
      ['PUT', '', { content: 'too late' }],
      ['POST', '/schedule', { scheduled_for: at(HOUR) }],
      ['POST', '/cancel', undefined],
      ['POST', '/publish', undefined],
    ] as const) {
      const res = await t.request(method, `/v1/posts/${draft.id}${path}`, body);
      expectErrorBody(res, 409, 'conflict');
      expect(res.json.details.status).toBe('published');
    }
    expect((await get(draft.id)).content).toBe('third words');

    // A published post may be deleted.
    const deleted = await t.request('DELETE', `/v1/posts/${draft.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.json).toBeUndefined();
    expectErrorBody(await t.request('GET', `/v1/posts/${draft.id}`), 404, 'not_found');
    expectErrorBody(await t.request('DELETE', `/v1/posts/${draft.id}`), 404, 'not_found');
  });

  it('publishes now: 202, then published once the worker is done', async () => {
    const acc = await connect('/now');
    const draft = await create({ content: 'right now', accounts: [acc] });
    const res = await t.request('POST', `/v1/posts/${draft.id}/publish`);
    expect(res.status).toBe(202);
    expect(res.json.id).toBe(draft.id);
    expect(['publishing', 'published']).toContain(res.json.status);
    expect(res.json.deliveries).toHaveLength(1);

    await t.app.scheduler!.drain();
    const after = await get(draft.id);
    expect(after).toMatchObject({ status: 'published', published_at: iso(clock.now()) });
    expect(after.platform_results.webhook).toMatchObject({ success: true, post_id: expect.stringMatching(/^remote-/) });
    expect(receiver.on('/now')).toHaveLength(1);
  });

  it('publishes a scheduled post now, and it does not go out a second time at its old time', async () => {
    const acc = await connect('/early');
    const post = await create({ content: 'early bird', accounts: [acc], scheduled_for: at(HOUR) });
    expect((await t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    expect((await get(post.id)).status).toBe('published');
    await tick(2 * HOUR);
    expect(receiver.on('/early')).toHaveLength(1);
  });

  it('refuses to change or delete a post while it is publishing (409), and keeps it', async () => {
    const acc = await connect('/slow');
    receiver.script('/slow', ['hang']);
    const post = await create({ content: 'slowly', accounts: [acc] });
    expect((await t.request('POST', `/v1/posts/${post.id}/publish`)).status).toBe(202);
    await receiver.waitFor(1, '/slow');

    const during = await get(post.id);
    expect(during.status).toBe('publishing');
    expect(during.deliveries[0].status).toBe('publishing');

    for (const [method, path, body] of [
      ['DELETE', '', undefined],
      ['PUT', '', { content: 'changed my mind' }],
      ['POST', '/schedule', { scheduled_for: at(HOUR) }],
      ['POST', '/cancel', undefined],
      ['POST', '/publish', undefined],
    ] as const) {
      const res = await t.request(method, `/v1/posts/${post.id}${path}`, body);
      expectErrorBody(res, 409, 'conflict');
      expect(res.json.details.status).toBe('publishing');
    }
    expect(await get(post.id)).toMatchObject({ content: 'slowly', status: 'publishing' });
  });

  it('deletes a scheduled post: 204, and nothing goes out at its time', async () => {
    const acc = await connect('/deleted');
    const post = await create({ content: 'never mind', accounts: [acc], scheduled_for: at(10 * MINUTE) });
    const res = await t.request('DELETE', `/v1/posts/${post.id}`);
    expect(res.status).toBe(204);
    expectErrorBody(await t.request('GET', `/v1/posts/${post.id}`), 404, 'not_found');
    expect((await list('')).posts).toEqual([]);
    await tick(HOUR);
    expect(receiver.requests).toHaveLength(0);
    const left = await t.app.ctx.store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
  });

  it('deletes a published post with its deliveries and their attempt history', async () => {
    const acc = await connect('/history');
    receiver.script('/history', [{ status: 500 }]); // two attempts: a failure, then published
    const post = await create({ content: 'with a past', accounts: [acc], scheduled_for: at(MINUTE) });
    await tick(MINUTE);
    await tick(10 * MINUTE);
    expect((await get(post.id)).status).toBe('published');
    const db = t.app.ctx.store.db;
    const attempts = async () => Number((await db.selectFrom('delivery_attempts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await attempts()).toBe(2);
    expect((await t.request('DELETE', `/v1/posts/${post.id}`)).status).toBe(204);
    expect(await attempts()).toBe(0);
  });

  it('changing the accounts of a scheduled post moves its deliveries to the new accounts', async () => {
    const a = await connect('/acc-a');
    const b = await connect('/acc-b');
    const post = await create({ content: 'x', accounts: [a], scheduled_for: at(HOUR) });
    const edited = await t.request('PUT', `/v1/posts/${post.id}`, { accounts: [b, a] });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ accounts: [b, a], status: 'scheduled', scheduled_for: at(HOUR) });
    expect(edited.json.deliveries.map((d: any) => [d.account_id, d.status, d.next_attempt_at])).toEqual([
      [b, 'pending', at(HOUR)],
      [a, 'pending', at(HOUR)],
    ]);
    const narrowed = await t.request('PUT', `/v1/posts/${post.id}`, { accounts: [b] });
    expect(narrowed.json.deliveries.map((d: any) => d.account_id)).toEqual([b]);
    // An edit naming an unknown account changes nothing.
    expectErrorBody(await t.request('PUT', `/v1/posts/${post.id}`, { accounts: ['acc_nobody'], content: 'changed' }), 422, 'validation_failed');
    expect(await get(post.id)).toMatchObject({ accounts: [b], content: 'x' });
    await tick(HOUR);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/acc-b']);
  });

  it('lists newest first, filtered by status (repeatable), account and time range', async () => {
    const a = await connect('/list-a');
    const b = await connect('/list-b');
    const base = clock.now();
    const made: Record<string, string> = {};
    const step = async (name: string, body: Record<string, unknown>) => {
      clock.advance(1); // distinct creation times, so "newest first" is one order
      made[name] = (await create(body)).id;
    };
    await step('draft', { content: 'd', accounts: [a] });
    await step('s1', { content: 's1', accounts: [a], scheduled_for: iso(base + HOUR) });
    await step('s2', { content: 's2', accounts: [b], scheduled_for: iso(base + 2 * HOUR) });
    await step('s3', { content: 's3', accounts: [a, b], scheduled_for: iso(base + 3 * HOUR) });
    await step('now', { content: 'p', accounts: [b] });
    expect((await t.request('POST', `/v1/posts/${made.now}/publish`)).status).toBe(202);
    await t.app.scheduler!.drain();
    const publishedAt = (await get(made.now!)).published_at as string;
    expect(publishedAt).toBe(iso(clock.now()));
    const { draft, s1, s2, s3, now } = made as Record<string, string>;

    expect(ids(await list(''))).toEqual([now, s3, s2, s1, draft]);
    expect(ids(await list('?status=scheduled'))).toEqual([s3, s2, s1]);
    expect(ids(await list('?status=draft&status=published'))).toEqual([now, draft]);
    expect(ids(await list('?status=publishing'))).toEqual([]);
    // The filter (SQL) and the status shown (derived from the deliveries) agree.
    expect((await list('')).posts.map((p: any) => p.status)).toEqual(['published', 'scheduled', 'scheduled', 'scheduled', 'draft']);
    // The platforms of posts with deliveries and of the draft (none) alike.
    expect((await list('')).posts.map((p: any) => p.platforms)).toEqual([['webhook'], ['webhook'], ['webhook'], ['webhook'], ['webhook']]);
    expect(ids(await list(`?account=${a}`))).toEqual([s3, s1, draft]);
    expect(ids(await list(`?account=${b}`))).toEqual([now, s3, s2]);
    expect(ids(await list(`?account=${b}&status=scheduled`))).toEqual([s3, s2]);

    // from is inclusive, to exclusive; the time is scheduled_for, else published_at; drafts have none.
    expect(ids(await list(`?from=${iso(base + HOUR)}&to=${iso(base + 3 * HOUR)}`))).toEqual([s2, s1]);
    expect(ids(await list(`?from=${iso(base + HOUR + 1)}`))).toEqual([s3, s2]);
    expect(ids(await list(`?from=${publishedAt}`))).toEqual([now, s3, s2, s1]);
    expect(ids(await list(`?to=${iso(base + HOUR)}`))).toEqual([now]);
    expect(ids(await list(`?to=${publishedAt}`))).toEqual([]);
    expect(ids(await list(`?status=scheduled&account=${b}&from=${iso(base + 2 * HOUR)}`))).toEqual([s3, s2]);

    const page = await list('?status=scheduled');
    expect(page.next_cursor).toBeNull();
    // The list does not carry the attempt history (GET /v1/posts/:id does).
    expect(page.posts[0].deliveries[0]).not.toHaveProperty('history');

    const backwards = await t.request('GET', `/v1/posts?from=${iso(base + 2 * HOUR)}&to=${iso(base + HOUR)}`);
    expectErrorBody(backwards, 422, 'validation_failed');
    expectErrorBody(await t.request('GET', '/v1/posts?from=yesterday'), 422, 'validation_failed');
  });

  it('pages with limit and cursor: newest first, no duplicates or gaps, next_cursor null at the end', async () => {
    const acc = await connect('/pages');
    const created: string[] = [];
    // Some posts share a millisecond (ids then order by their random part), others do not.
    for (const batch of [3, 1, 4, 1, 5]) {
      clock.advance(7);
      for (let i = 0; i < batch; i++) created.push((await create({ content: `p${created.length}`, accounts: [acc] })).id);
    }
    expect(created).toHaveLength(14);

    for (const limit of [1, 3, 5, 13, 14, 20]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list(`?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.posts.length).toBeLessThanOrEqual(limit);
        seen.push(...ids(page));
        cursor = page.next_cursor;
        if (cursor !== null) expect(page.posts).toHaveLength(limit);
        expect(++pages).toBeLessThanOrEqual(15);
      } while (cursor !== null);
      expect(new Set(seen).size, `limit ${limit}`).toBe(seen.length);
      expect([...seen].sort()).toEqual([...created].sort());
      expect(pages).toBe(Math.ceil(14 / limit));
      // Newest first: every later creation time comes before every earlier one.
      const createdAt = new Map((await list('?limit=500')).posts.map((p: any) => [p.id, p.created_at]));
      for (let i = 1; i < seen.length; i++) expect(createdAt.get(seen[i - 1]!)! >= createdAt.get(seen[i]!)!).toBe(true);
    }

    // A cursor stays valid when the post it points at is deleted meanwhile.
    const first = await list('?limit=4');
    const lastOfPage = first.posts[3].id;
    expect((await t.request('DELETE', `/v1/posts/${lastOfPage}`)).status).toBe(204);
    const rest = await list(`?limit=500&cursor=${encodeURIComponent(first.next_cursor!)}`);
    expect(rest.next_cursor).toBeNull();
    expect([...ids(first), ...ids(rest)].filter((id) => id !== lastOfPage).sort()).toEqual(created.filter((id) => id !== lastOfPage).sort());
    expect(ids(rest)).not.toContain(lastOfPage);

    // Paging with a filter keeps the filter.
    const scheduled = await create({ content: 'later', accounts: [acc], scheduled_for: at(HOUR) });
    const drafts: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?status=draft&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      drafts.push(...ids(page));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(drafts).not.toContain(scheduled.id);
    expect(drafts).toHaveLength(13);

    // Paging through a time window (the calendar's query, planned differently) gives the window's
    // posts newest first, each once, the same as one page holding them all.
    const inWindow: string[] = [];
    const base = clock.now();
    for (let i = 0; i < 7; i++) {
      clock.advance(3);
      inWindow.push((await create({ content: `w${i}`, accounts: [acc], scheduled_for: iso(base + 2 * HOUR + i * 60_000) })).id);
    }
    const windowQuery = `from=${iso(base + 2 * HOUR)}&to=${iso(base + 3 * HOUR)}`;
    const whole = ids(await list(`?${windowQuery}&limit=500`));
    expect([...whole].sort()).toEqual([...inWindow].sort());
    expect(whole).toEqual([...inWindow].reverse());
    const paged: string[] = [];
    cursor = null;
    do {
      const page = await list(`?${windowQuery}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      paged.push(...ids(page));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(paged).toEqual(whole);

    expectErrorBody(await t.request('GET', '/v1/posts?cursor=not-a-cursor'), 422, 'validation_failed');
  });

  it('resolves platforms to the one active account of each; 422 when none or several', async () => {
    const none = await t.request('POST', '/v1/posts', { content: 'x', platforms: ['webhook'] });
    expectErrorBody(none, 422, 'validation_failed');
    expect(none.json.details.field).toBe('platforms[0]');

    const one = await connect('/only');
    expect(await create({ content: 'x', platforms: ['webhook'] })).toMatchObject({ accounts: [one], platforms: ['webhook'] });

    const two = await connect('/second');
    const several = await t.request('POST', '/v1/posts', { content: 'x', platforms: ['webhook'] });
    expectErrorBody(several, 422, 'validation_failed');
    expect(several.json.details.field).toBe('platforms[0]');
    expect([...several.json.details.accounts].sort()).toEqual([one, two].sort());

    // Disconnecting one leaves one active account: the name resolves again.
    expect((await t.request('DELETE', `/v1/accounts/${one}`)).status).toBe(204);
    expect(await create({ content: 'x', platforms: ['webhook'] })).toMatchObject({ accounts: [two] });

    const unknown = await t.request('POST', '/v1/posts', { content: 'x', platforms: ['myspace'] });
    expectErrorBody(unknown, 422, 'validation_failed');
    expect(unknown.json.details.field).toBe('platforms[0]');

    const twice = await t.request('POST', '/v1/posts', { content: 'x', accounts: [two], platforms: ['webhook'] });
    expectErrorBody(twice, 422, 'validation_failed');
    expectErrorBody(await t.request('POST', '/v1/posts', { content: 'x' }), 422, 'validation_failed');
  });

  it('accepts thread as an alias of segments, on create and on edit, and sends the segments', async () => {
    const acc = await connect('/thread');
    const post = await create({ content: 'head', accounts: [acc], thread: [{ content: 'one' }, { content: 'two' }] });
    expect(post.segments).toEqual([{ content: 'one' }, { content: 'two' }]);
    const edited = await t.request('PUT', `/v1/posts/${post.id}`, { thread: [{ content: 'only' }] });
    expect(edited.status).toBe(200);
    expect(edited.json.segments).toEqual([{ content: 'only' }]);
    // A later edit that leaves segments out keeps them.
    expect((await t.request('PUT', `/v1/posts/${post.id}`, { content: 'new head' })).json.segments).toEqual([{ content: 'only' }]);
    await t.request('POST', `/v1/posts/${post.id}/publish`);
    await t.app.scheduler!.drain();
    expect(receiver.on('/thread')[0]!.json).toMatchObject({ content: 'new head', segments: [{ content: 'only' }] });

    // The error names the field as the request spelled it.
    const segTooLong = await t.request('POST', '/v1/posts', { content: 'ok', accounts: [acc], thread: [{ content: 'y'.repeat(100_001) }] });
    expectErrorBody(segTooLong, 422, 'validation_failed');
    expect(segTooLong.json.details).toMatchObject({ field: 'thread[0].content', platform: 'webhook', limit: 100_000, count: 100_001 });
    expectErrorBody(await t.request('POST', '/v1/posts', { content: 'ok', accounts: [acc], thread: 'one' }), 400, 'bad_request');
  });

  it('spaces the accounts of a post by stagger_minutes, and re-spaces them when it changes', async () => {
    const a = await connect('/st-a');
    const b = await connect('/st-b');
    const c = await connect('/st-c');
    const post = await create({ content: 'x', accounts: [a, b, c], scheduled_for: at(HOUR), stagger_minutes: 10 });
    expect(post.stagger_minutes).toBe(10);
    expect(post.deliveries.map((d: any) => [d.account_id, d.next_attempt_at])).toEqual([
      [a, at(HOUR)],
      [b, at(HOUR + 10 * MINUTE)],
      [c, at(HOUR + 20 * MINUTE)],
    ]);
    const edited = await t.request('PUT', `/v1/posts/${post.id}`, { stagger_minutes: 0 });
    expect(edited.json.deliveries.map((d: any) => d.next_attempt_at)).toEqual([at(HOUR), at(HOUR), at(HOUR)]);
    const respaced = await t.request('PUT', `/v1/posts/${post.id}`, { stagger_minutes: 1440 });
    expect(respaced.json.deliveries.map((d: any) => d.next_attempt_at)).toEqual([at(HOUR), at(HOUR + 1440 * MINUTE), at(HOUR + 2880 * MINUTE)]);

    await tick(HOUR);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/st-a']);
    expect((await get(post.id)).status).toBe('publishing');
    await tick(1440 * MINUTE);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/st-a', '/st-b']);

    for (const bad of [-1, 1441]) {
      const res = await t.request('POST', '/v1/posts', { content: 'x', accounts: [a], stagger_minutes: bad });
      expectErrorBody(res, 422, 'validation_failed');
      expect(res.json.details.field).toBe('stagger_minutes');
    }
    expectErrorBody(await t.request('POST', '/v1/posts', { content: 'x', accounts: [a], stagger_minutes: 2.5 }), 400, 'bad_request');
  });

  it('refuses times that are not in the future, naming scheduled_for, wherever a time is given', async () => {
    const acc = await connect('/time');
    const draft = await create({ content: 'x', accounts: [acc] });
    const attempts = [
      ['POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(-MINUTE) }],
      ['POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: at(0) }],
      ['POST', '/v1/posts', { content: 'x', accounts: [acc], scheduled_for: 'next tuesday' }],
      ['PUT', `/v1/posts/${draft.id}`, { scheduled_for: at(-1) }],
      ['POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: at(-HOUR) }],
      ['POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: 'soon' }],
    ] as const;
    for (const [method, url, body] of attempts) {
      const res = await t.request(method, url, body);
      expectErrorBody(res, 422, 'validation_failed');
      expect(res.json.details.field, `${method} ${url} ${JSON.stringify(body)}`).toBe('scheduled_for');
    }
    expect((await t.request('GET', '/v1/posts')).json.posts).toHaveLength(1);
    expect(await get(draft.id)).toMatchObject({ status: 'draft', scheduled_for: null });

    // PUT with scheduled_for null unschedules a scheduled post.
    await t.request('POST', `/v1/posts/${draft.id}/schedule`, { scheduled_for: at(HOUR) });
    const unscheduled = await t.request('PUT', `/v1/posts/${draft.id}`, { scheduled_for: null });
    expect(unscheduled.json).toMatchObject({ status: 'draft', scheduled_for: null, deliveries: [] });
    // PUT with a future time schedules a draft.
    const rescheduled = await t.request('PUT', `/v1/posts/${draft.id}`, { scheduled_for: at(2 * HOUR) });
    expect(rescheduled.json).toMatchObject({ status: 'scheduled', scheduled_for: at(2 * HOUR) });
  });
});
