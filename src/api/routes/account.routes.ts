import { z } from 'zod';
import type { App } from '../../app.js';
import { DomainError } from '../../core/errors.js';
import { userIdOf } from '../auth.js';
import { presentAccount } from '../presenters.js';
import { errorResponses, IdParams, IsoTime } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const AccountWire = z
  .object({
    id: z.string(),
    platform: z.string(),
    platform_user_id: z.string(),
    username: z.string(),
    display_name: z.string(),
    avatar_url: z.string().nullable(),
    is_active: z.boolean().describe('false: the network refused our credentials; reconnect the account'),
    inactive_reason: z.string().nullable().describe('Why the account must be reconnected, in words (null while active)'),
    token_expires_at: IsoTime.nullable().describe('When the current credentials expire unless refreshed (they are refreshed before); null: they do not expire'),
    rules: z
      .object({ max_length: z.number().int(), max_images: z.number().int(), supports_segments: z.boolean(), counting: z.enum(['graphemes', 'x-weighted']), url_length: z.number().int().nullable() })
      .describe("This account's content limits (a Mastodon instance sets its own)"),
    deduplicates: z
      .boolean()
      .describe(
        'true: an attempt whose outcome is unknown (no answer in time, a worker that died mid-request) is repeated, since the network drops repeats ' +
          '(same Idempotency-Key, record key or look-up); false: the delivery becomes `unknown` and a person decides (X, Threads, LinkedIn, a webhook connected with "deduplicates": false)',
      ),
    connected_at: IsoTime,
    last_used_at: IsoTime.nullable(),
  })
  .meta({ id: 'Account' });

const ConnectBody = z
  .looseObject({ platform: z.string().max(50).describe('webhook, bluesky or mastodon; the other fields depend on the platform') })
  .describe(
    'webhook: {"platform":"webhook","url":"https://...","secret":"at least 8 characters","display_name":"...","deduplicates":true} ' +
      '(deduplicates, default true, unchanged when left out of a reconnect: false when the receiver does not drop a repeated Idempotency-Key; ' +
      'its unclear attempts are then never repeated); ' +
      'bluesky: {"platform":"bluesky","identifier":"alice.bsky.social","app_password":"xxxx-xxxx-xxxx-xxxx","service":"https://... (optional, a self-hosted PDS)"}; ' +
      'mastodon: {"platform":"mastodon","instance":"https://mastodon.social","access_token":"..."}. ' +
      'X, LinkedIn and Threads connect in the browser: GET /v1/accounts/connect/{platform}.',
  );

const tags = ['accounts'];

const ConnectStartQuery = z
  .looseObject({ return_to: z.string().max(500).optional().describe('A path of this site to come back to after connecting (default /accounts)') })
  .describe('Other parameters depend on the network: Mastodon needs `instance` (https://mastodon.social)');

const ConnectCallbackQuery = z.object({
  code: z.string().max(4000).optional(),
  state: z.string().max(200).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});

export function accountRoutes(server: TypedServer, { services, ctx }: App) {
  const { accounts, oauth } = services;
  const present = (a: Parameters<typeof presentAccount>[0]) => presentAccount(a, ctx.platforms);

  server.get('/v1/accounts', {
    config: { scope: 'accounts:read' },
    schema: { tags, summary: 'Connected accounts', response: { 200: z.object({ accounts: z.array(AccountWire) }), ...errorResponses } },
  }, async (request) => ({ accounts: (await accounts.list(userIdOf(request))).map(present) }));

  server.get('/v1/accounts/:id', {
    config: { scope: 'accounts:read' },
    schema: { tags, summary: 'One account', params: IdParams, response: { 200: AccountWire, ...errorResponses } },
  }, async (request) => present(await accounts.get(userIdOf(request), request.params.id)));

  server.post('/v1/accounts', {
    config: { scope: 'accounts:write' },
    schema: {
      tags,
      summary: 'Connect an account that needs no browser. Connecting the same identity again reconnects it (200).',
      body: ConnectBody,
      response: { 200: AccountWire, 201: AccountWire, ...errorResponses },
    },
  }, async (request, reply) => {
    const { account, created } = await accounts.connect(userIdOf(request), request.body);
    return reply.code(created ? 201 : 200).send(present(account));
  });

  server.get('/v1/accounts/connect/:platform', {
    config: { scope: 'accounts:write' },
    schema: {
      tags,
      summary: 'Start connecting an account in the browser (OAuth: X, LinkedIn, Threads, Mastodon)',
      description:
        'Redirects (302) to the network\'s page where the person approves Octopost; the network then sends the browser to ' +
        '`/v1/accounts/connect/:platform/callback`, which stores the account and returns to the web app. ' +
        'Asked with `Accept: application/json`, answers 200 with `authorize_url` instead of redirecting.',
      params: z.object({ platform: z.string().max(50) }),
      querystring: ConnectStartQuery,
      response: { 200: z.object({ authorize_url: z.string() }), 302: z.null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const { authorizeUrl } = await oauth.start(userIdOf(request), request.params.platform, request.query);
    if (wantsJson(request.headers.accept)) return reply.send({ authorize_url: authorizeUrl });
    return reply.redirect(authorizeUrl, 302);
  });

  server.get('/v1/accounts/connect/:platform/callback', {
    schema: {
      tags,
      summary: 'Where the network sends the browser back (public: the one-time state names the user)',
      params: z.object({ platform: z.string().max(50) }),
      querystring: ConnectCallbackQuery,
      response: { 201: AccountWire, 200: AccountWire, 302: z.null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const json = wantsJson(request.headers.accept);
    try {
      const { account, created, returnTo } = await oauth.finish(request.params.platform, request.query);
      if (json) return reply.code(created ? 201 : 200).send(present(account));
      return reply.redirect(withQuery(returnTo ?? '/accounts', { connected: account.id }), 302);
    } catch (err) {
      if (json || !(err instanceof DomainError)) throw err;
      const back = typeof err.details.return_to === 'string' ? err.details.return_to : '/accounts';
      return reply.redirect(withQuery(back, { connect_error: err.message }), 302);
    }
  });

  server.delete('/v1/accounts/:id', {
    config: { scope: 'accounts:write' },
    schema: { tags, summary: 'Disconnect (its waiting deliveries are cancelled)', params: IdParams, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    await accounts.disconnect(userIdOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}

function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, 'http://local');
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return `${url.pathname}${url.search}`;
}
