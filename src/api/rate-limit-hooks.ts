import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/time.js';
import { sendError } from './error-handler.js';
import { RateLimiter } from './rate-limit.js';

/**
 * OCTOPOST_RATE_LIMIT requests a minute per credential (API key or session), or per address for
 * requests without one; every /v1 answer carries the X-RateLimit-* headers. Failed
 * authentications also count per address, so a flood of made-up keys is limited too.
 */
export function registerRateLimits(server: FastifyInstance, limitPerMinute: number, clock: Clock): void {
  const limiter = new RateLimiter(limitPerMinute);
  const failures = new RateLimiter(Math.max(10, Math.ceil(limitPerMinute / 10)));

  server.addHook('onRequest', async (request, reply) => {
    if (!isApi(request)) return;
    const now = clock.now();
    const failed = failures.peek(`ip:${request.ip}`, now);
    const verdict = failed.allowed ? limiter.hit(bucketOf(request), now) : failed;
    reply.header('x-ratelimit-limit', verdict.limit);
    reply.header('x-ratelimit-remaining', verdict.remaining);
    reply.header('x-ratelimit-reset', Math.ceil(verdict.resetAt / 1000));
    if (!verdict.allowed) {
      const wait = Math.max(1, Math.ceil((verdict.resetAt - now) / 1000));
      reply.header('retry-after', wait);
      const why = failed.allowed ? `${verdict.limit} a minute` : 'too many failed sign-ins or unknown keys from your address';
      return sendError(reply, 429, 'rate_limited', `Too many requests (${why}). Try again in ${wait} s.`, { limit: verdict.limit, retry_after: wait });
    }
  });

  server.addHook('onResponse', async (request, reply) => {
    if (isApi(request) && reply.statusCode === 401) failures.hit(`ip:${request.ip}`, clock.now());
  });
}

const isApi = (request: FastifyRequest) => request.url === '/v1' || request.url.startsWith('/v1/') || request.url.startsWith('/v1?');

function bucketOf(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  if (auth) return `auth:${digest(auth)}`;
  const cookie = request.headers.cookie;
  if (cookie) return `cookie:${digest(cookie)}`;
  return `ip:${request.ip}`;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);
