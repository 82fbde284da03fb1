import { z } from 'zod';
import type { App } from '../../app.js';
import { toIso } from '../../core/time.js';
import type { ApiKeyService } from '../../services/api-key.service.js';
import { API_SCOPES } from '../../services/user.service.js';
import type { ApiKeyRecord } from '../../store/api-key.repository.js';
import { userIdOf } from '../auth.js';
import { errorResponses, IdParams, IsoTime } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const KeyWire = z
  .object({
    id: z.string(),
    name: z.string(),
    key_hint: z.string().describe('The start and end of the key, to recognise it; the key itself is shown only at creation'),
    scopes: z.array(z.string()).describe('Empty: full access'),
    created_at: IsoTime,
    last_used_at: IsoTime.nullable(),
    revoked_at: IsoTime.nullable(),
  })
  .meta({ id: 'ApiKey' });

const CreateKeyBody = z.strictObject({
  name: z.string().max(100),
  scopes: z.array(z.enum(API_SCOPES)).max(API_SCOPES.length).optional().describe('Leave out for full access'),
});

const present = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  key_hint: k.keyHint,
  scopes: k.scopes,
  created_at: toIso(k.createdAt)!,
  last_used_at: toIso(k.lastUsedAt),
  revoked_at: toIso(k.revokedAt),
});

const tags = ['keys'];
// A narrow key must not mint a wider one: managing keys needs a session or a full-access key.
const full = { scope: 'full' };

export function keyRoutes(server: TypedServer, _app: App, keys: ApiKeyService) {
  server.get('/v1/keys', {
    config: full,
    schema: { tags, summary: 'API keys, newest first (revoked ones included); never the keys themselves', response: { 200: z.object({ keys: z.array(KeyWire) }), ...errorResponses } },
  }, async (request) => ({ keys: (await keys.list(userIdOf(request))).map(present) }));

  server.post('/v1/keys', {
    config: full,
    schema: {
      tags,
      summary: 'Create an API key. The answer is the only time the key is shown: store it.',
      body: CreateKeyBody,
      response: { 201: KeyWire.extend({ key: z.string().describe('oct_live_...: shown once') }), ...errorResponses },
    },
  }, async (request, reply) => {
    const { key, record } = await keys.create(userIdOf(request), request.body.name, request.body.scopes ?? []);
    return reply.code(201).send({ ...present(record), key });
  });

  server.delete('/v1/keys/:id', {
    config: full,
    schema: { tags, summary: 'Revoke a key: it stops working at once', params: IdParams, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    await keys.revoke(userIdOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}
