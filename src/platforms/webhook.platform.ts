import { createHash, createHmac } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import type { PublishError, PublishOutcome } from '../core/retry-policy.js';
import { networkErrorCode, parseRetryAfter, requestNeverSent } from './http-errors.js';
import type { PlatformAdapter, PublishRequest } from './platform.js';
import { checkPublicUrl } from './url-guard.js';

const connectSchema = z.strictObject({
  url: z.string().max(2000).describe('http(s) URL that receives the signed POST'),
  secret: z.string().min(8).max(500).describe('shared secret for the X-Octopost-Signature HMAC'),
  display_name: z.string().min(1).max(100).optional(),
  deduplicates: z
    .boolean()
    .optional()
    .describe(
      'Whether the receiver drops a request whose Idempotency-Key it has seen (default true; left out on a reconnect, unchanged). false: an ' +
        'attempt whose outcome is unknown (no answer in time, a worker that died mid-request) is never repeated; the delivery becomes `unknown` for a person to check.',
    ),
});

type WebhookInput = z.infer<typeof connectSchema>;

/**
 * Webhook: POSTs the post as JSON to the account's URL (shared/api.md, "The webhook platform").
 * Every attempt of a delivery carries the same Idempotency-Key, so a receiver can drop repeats:
 * that is what makes an ambiguous attempt safe to repeat (`deduplicates: true`). Not every
 * receiver does (a no-code automation hook, a chat webhook): connected with `deduplicates: false`,
 * the account's ambiguous attempts are never repeated and end `unknown` instead.
 */
export const webhookPlatform: PlatformAdapter<WebhookInput> = {
  name: 'webhook',
  rules: { maxLength: 100_000, maxImages: 20, supportsSegments: true },
  deduplicates: true,
  deduplicatesFor: (meta) => meta.deduplicates !== false,
  connectSchema,

  async connect(input, ctx) {
    const url = await checkPublicUrl('url', input.url, ctx.blockPrivateUrls);
    return {
      // Some receivers carry their secret in the URL (chat webhooks): only a digest of it is shown.
      platformUserId: `sha256:${createHash('sha256').update(url.href).digest('hex').slice(0, 32)}`,
      username: url.host,
      displayName: input.display_name ?? url.host,
      avatarUrl: null,
      credentials: { url: url.href, secret: input.secret },
      // Left out on a reconnect, the account keeps what it was told before (AccountService.store).
      ...(input.deduplicates !== undefined && { meta: { deduplicates: input.deduplicates } }),
    };
  },

  async publish(req) {
    const { url, secret } = req.credentials as { url: string; secret: string };
    const body = JSON.stringify({
      delivery_id: req.deliveryId,
      post_id: req.postId,
      content: req.content,
      media: req.media,
      segments: req.segments,
      scheduled_for: req.scheduledFor,
    });
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': req.deliveryId,
          'x-octopost-signature': `sha256=${signature}`,
          'user-agent': 'Octopost-Webhook/1',
        },
        signal: req.signal,
      });
    } catch (err) {
      return classifyNetworkFailure(err, req);
    }
    const text = await response.body.text().catch(() => '');
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const answer = parseAnswer(text);
      return { kind: 'published', postId: answer.id, postUrl: answer.url };
    }
    return { kind: 'failed', error: classifyStatus(response.statusCode, response.headers['retry-after'], text) };
  },
};

function parseAnswer(text: string): { id: string | null; url: string | null } {
  try {
    const json = JSON.parse(text) as { id?: unknown; url?: unknown };
    return {
      id: typeof json.id === 'string' || typeof json.id === 'number' ? String(json.id) : null,
      url: typeof json.url === 'string' ? json.url : null,
    };
  } catch {
    return { id: null, url: null };
  }
}

/** The webhook contract's table of answers (shared/api.md). */
export function classifyStatus(status: number, retryAfter: string | string[] | undefined, body: string): PublishError {
  const excerpt = body.slice(0, 200).trim();
  const said = excerpt ? ` The receiver said: "${excerpt}".` : '';
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return {
      code: 'rate_limited',
      message: `The receiver is rate limiting (429)${retryAfterMs !== undefined ? `, asking to wait ${Math.ceil(retryAfterMs / 1000)} s` : ''}.${said}`,
      permanent: false,
      httpStatus: status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
  if (status === 408 || status >= 500) {
    return { code: 'server_error', message: `The receiver answered ${status}.${said}`, permanent: false, httpStatus: status };
  }
  if (status === 401 || status === 403) {
    return {
      code: 'unauthorized',
      message: `The receiver refused the signature (${status}). Check the secret on both sides, then reconnect the account.${said}`,
      permanent: true,
      reconnect: true,
      httpStatus: status,
    };
  }
  if (status >= 300 && status < 400) {
    return { code: 'redirected', message: `The receiver answered ${status} (a redirect, not followed). Update the account's URL.`, permanent: true, httpStatus: status };
  }
  return { code: 'rejected', message: `The receiver refused the post (${status}); it will not be retried. Fix the content or the receiver, then retry.${said}`, permanent: true, httpStatus: status };
}

function classifyNetworkFailure(err: unknown, req: PublishRequest): PublishOutcome {
  const code = networkErrorCode(err) ?? (err as Error)?.name ?? 'network_error';
  if (requestNeverSent(err)) {
    return { kind: 'failed', error: { code: 'unreachable', message: `Could not connect to the receiver (${code}).`, permanent: false } };
  }
  if (req.signal.aborted) {
    return { kind: 'ambiguous', error: { code: 'timeout', message: 'The receiver did not answer in time; the post may have arrived.', permanent: false } };
  }
  return { kind: 'ambiguous', error: { code: 'network_error', message: `The connection failed mid-request (${code}); the post may have arrived.`, permanent: false } };
}
