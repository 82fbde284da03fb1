import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookPlatform } from '../../src/platforms/webhook.platform.js';
import type { PublishRequest } from '../../src/platforms/platform.js';
import { Receiver, verifySignature } from '../helpers/receiver.js';

describe('webhook platform against a local receiver', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(() => receiver.stop());

  const publish = (path: string, timeoutMs = 2000, url = receiver.url(path)) => {
    const req: PublishRequest = {
      deliveryId: 'dlv_1',
      postId: 'post_1',
      content: 'hello',
      media: { images: [{ url: 'https://img.test/1.png', alt_text: 'a cat' }] },
      segments: [{ content: 'reply' }],
      scheduledFor: '2027-03-14T13:00:00.000Z',
      credentials: { url, secret: 'shared-secret' },
      signal: AbortSignal.timeout(timeoutMs),
    };
    return webhookPlatform.publish(req);
  };

  it('POSTs the documented JSON, signed, with the delivery id as Idempotency-Key', async () => {
    receiver.script('/ok', [{ status: 201, body: { id: 42, url: 'https://r.test/42' } }]);
    expect(await publish('/ok')).toEqual({ kind: 'published', postId: '42', postUrl: 'https://r.test/42' });
    const [req] = receiver.on('/ok');
    expect(req!.headers['idempotency-key']).toBe('dlv_1');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(verifySignature('shared-secret', req!.body, req!.headers['x-octopost-signature'])).toBe(true);
    expect(req!.json).toEqual({
      delivery_id: 'dlv_1',
      post_id: 'post_1',
      content: 'hello',
      media: { images: [{ url: 'https://img.test/1.png', alt_text: 'a cat' }] },
      segments: [{ content: 'reply' }],
      scheduled_for: '2027-03-14T13:00:00.000Z',
    });
  });

  it('accepts a 2xx without a JSON body', async () => {
    receiver.script('/empty', [{ status: 204, body: '' }]);
    expect(await publish('/empty')).toEqual({ kind: 'published', postId: null, postUrl: null });
  });

  const table: [number, Record<string, string>, object][] = [
    [429, { 'retry-after': '120' }, { code: 'rate_limited', permanent: false, retryAfterMs: 120_000 }],
    [408, {}, { code: 'server_error', permanent: false }],
    [500, {}, { code: 'server_error', permanent: false }],
    [503, {}, { code: 'server_error', permanent: false }],
    [400, {}, { code: 'rejected', permanent: true }],
    [422, {}, { code: 'rejected', permanent: true }],
    [401, {}, { code: 'unauthorized', permanent: true, reconnect: true }],
    [403, {}, { code: 'unauthorized', permanent: true, reconnect: true }],
    [301, { location: '/elsewhere' }, { code: 'redirected', permanent: true }],
  ];
  it.each(table)('classifies %i as the contract says', async (status, headers, expected) => {
    const path = `/status-${status}`;
    receiver.script(path, [{ status, headers }]);
    const outcome = await publish(path);
    expect(outcome.kind).toBe('failed');
    expect((outcome as any).error).toMatchObject({ ...expected, httpStatus: status });
  });

  it('reads Retry-After given as an HTTP date', async () => {
    receiver.script('/date', [{ status: 429, headers: { 'retry-after': new Date(Date.now() + 90_000).toUTCString() } }]);
    const outcome = (await publish('/date')) as any;
    expect(outcome.error.retryAfterMs).toBeGreaterThan(80_000);
    expect(outcome.error.retryAfterMs).toBeLessThanOrEqual(90_000);
  });

  it('a refused connection is temporary and certainly not sent', async () => {
    const outcome = await publish('/x', 2000, 'http://127.0.0.1:1/hook');
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'unreachable', permanent: false } });
  });

  it('a receiver that never answers is ambiguous (it may have the post)', async () => {
    receiver.script('/hang', ['hang']);
    const outcome = await publish('/hang', 300);
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'timeout' } });
  });

  it('refuses non-http URLs at connect, and private ones when asked to', async () => {
    await expect(webhookPlatform.connect({ url: 'ftp://x.test/', secret: '12345678' }, { blockPrivateUrls: false })).rejects.toMatchObject({ code: 'validation_failed', details: { field: 'url' } });
    await expect(webhookPlatform.connect({ url: 'http://127.0.0.1:9/x', secret: '12345678' }, { blockPrivateUrls: true })).rejects.toMatchObject({ details: { field: 'url' } });
    await expect(webhookPlatform.connect({ url: 'http://10.1.2.3/x', secret: '12345678' }, { blockPrivateUrls: true })).rejects.toMatchObject({ details: { field: 'url' } });
    const ok = await webhookPlatform.connect({ url: 'http://127.0.0.1:9/x', secret: '12345678', display_name: 'Mine' }, { blockPrivateUrls: false });
    expect(ok).toMatchObject({ displayName: 'Mine', credentials: { url: 'http://127.0.0.1:9/x', secret: '12345678' } });
  });
});
