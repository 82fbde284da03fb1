import { z } from 'zod';
import type { App } from '../../app.js';
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
    connected_at: IsoTime,
    last_used_at: IsoTime.nullable(),
  })
  .meta({ id: 'Account' });

const ConnectBody = z
  .looseObject({ platform: z.string().max(50).describe('webhook, ...; the other fields depend on the platform') })
  .describe('webhook: {"platform":"webhook","url":"https://...","secret":"at least 8 characters","display_name":"..."}');

const tags = ['accounts'];

export function accountRoutes(server: TypedServer, { services }: App) {
  const { accounts } = services;

  server.get('/v1/accounts', {
    config: { scope: 'accounts:read' },
    schema: { tags, summary: 'Connected accounts', response: { 200: z.object({ accounts: z.array(AccountWire) }), ...errorResponses } },
  }, async (request) => ({ accounts: (await accounts.list(userIdOf(request))).map(presentAccount) }));

  server.get('/v1/accounts/:id', {
    config: { scope: 'accounts:read' },
    schema: { tags, summary: 'One account', params: IdParams, response: { 200: AccountWire, ...errorResponses } },
  }, async (request) => presentAccount(await accounts.get(userIdOf(request), request.params.id)));

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
    return reply.code(created ? 201 : 200).send(presentAccount(account));
  });

  server.delete('/v1/accounts/:id', {
    config: { scope: 'accounts:write' },
    schema: { tags, summary: 'Disconnect (its waiting deliveries are cancelled)', params: IdParams, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    await accounts.disconnect(userIdOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}
