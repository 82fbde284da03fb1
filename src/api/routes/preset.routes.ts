import { z } from 'zod';
import type { App } from '../../app.js';
import { userIdOf } from '../auth.js';
import { presentPreset } from '../presenters.js';
import { errorResponses, IdParams, IsoTime } from '../schemas/common.schemas.js';
import type { TypedServer } from './route-types.js';

const PresetWire = z
  .object({
    id: z.string(),
    name: z.string(),
    accounts: z.array(z.string()),
    platforms: z.array(z.string()),
    primary_platform: z.string().nullable(),
    cross_link_enabled: z.boolean(),
    cross_link_template: z.string().nullable().describe('Placeholders: {platform}, {link}, {title}, {excerpt}'),
    is_default: z.boolean(),
    is_system: z.boolean(),
    created_at: IsoTime.nullable(),
    updated_at: IsoTime.nullable(),
  })
  .meta({ id: 'Preset' });

const fields = {
  name: z.string().max(100),
  accounts: z.array(z.string().max(100)).max(50).optional(),
  platforms: z.array(z.string().max(50)).max(50).optional(),
  primary_platform: z.string().max(50).nullable().optional(),
  cross_link_enabled: z.boolean().optional(),
  cross_link_template: z.string().max(1000).nullable().optional(),
  is_default: z.boolean().optional(),
};
const CreatePresetBody = z.strictObject(fields);
const UpdatePresetBody = z.strictObject({ ...fields, name: fields.name.optional() });

const tags = ['presets'];
const read = { scope: 'presets:read' };
const write = { scope: 'presets:write' };

export function presetRoutes(server: TypedServer, { services }: App) {
  const { presets } = services;

  server.get('/v1/presets', {
    config: read,
    schema: { tags, summary: 'Presets, the built-in ones first', response: { 200: z.object({ presets: z.array(PresetWire) }), ...errorResponses } },
  }, async (request) => ({ presets: (await presets.list(userIdOf(request))).map(presentPreset) }));

  server.get('/v1/presets/:id', {
    config: read,
    schema: { tags, summary: 'One preset', params: IdParams, response: { 200: PresetWire, ...errorResponses } },
  }, async (request) => presentPreset(await presets.get(userIdOf(request), request.params.id)));

  server.post('/v1/presets', {
    config: write,
    schema: { tags, summary: 'Create a preset', body: CreatePresetBody, response: { 201: PresetWire, ...errorResponses } },
  }, async (request, reply) => reply.code(201).send(presentPreset(await presets.create(userIdOf(request), request.body))));

  server.put('/v1/presets/:id', {
    config: write,
    schema: { tags, summary: 'Change a preset (403 for built-in ones)', params: IdParams, body: UpdatePresetBody, response: { 200: PresetWire, ...errorResponses } },
  }, async (request) => presentPreset(await presets.update(userIdOf(request), request.params.id, request.body)));

  server.delete('/v1/presets/:id', {
    config: write,
    schema: { tags, summary: 'Delete a preset (403 for built-in ones)', params: IdParams, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    await presets.delete(userIdOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}
