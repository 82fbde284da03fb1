import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { App } from '../app.js';
import { authenticate } from './auth.js';
import { errorHandler, sendError } from './error-handler.js';
import { RateLimiter } from './rate-limit.js';
import { accountRoutes } from './routes/account.routes.js';
import { meRoutes } from './routes/me.routes.js';
import { postRoutes } from './routes/post.routes.js';
import { presetRoutes } from './routes/preset.routes.js';
import { systemRoutes } from './routes/system.routes.js';


const BODY_LIMIT = 1024 * 1024;

/** The HTTP server: routes validate, call a service and map errors; nothing else lives here. */
export async function buildServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would drown the scheduler's; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
  });
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.setErrorHandler(errorHandler);
  server.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
  server.decorateRequest('principal', null);

  // shared/api.md: "An empty body on a POST or DELETE is read as {}, whatever its Content-Type."
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('invalid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }) as any, undefined);
    }
  });
  server.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (String(body).trim() === '') return done(null, {});
    done(Object.assign(new Error('unsupported media type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }) as any, undefined);
  });
  server.addHook('preValidation', async (request) => {
    if (request.body === undefined && ['POST', 'PUT', 'DELETE', 'PATCH'].includes(request.method)) request.body = {};
  });

  const limiter = new RateLimiter(app.ctx.config.rateLimitPerMinute);
  server.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    const auth = request.headers.authorization;
    const key = auth ? `key:${auth.slice(-16)}` : `ip:${request.ip}`;
    const verdict = limiter.hit(key, app.ctx.clock.now());
    reply.header('x-ratelimit-limit', verdict.limit);
    reply.header('x-ratelimit-remaining', verdict.remaining);
    reply.header('x-ratelimit-reset', Math.ceil(verdict.resetAt / 1000));
    if (!verdict.allowed) {
      const wait = Math.max(1, Math.ceil((verdict.resetAt - app.ctx.clock.now()) / 1000));
      reply.header('retry-after', wait);
      return sendError(reply, 429, 'rate_limited', `Too many requests: ${verdict.limit} a minute. Try again in ${wait} s.`, { limit: verdict.limit, retry_after: wait });
    }
  });
  server.addHook('onRequest', authenticate(app.services.users));

  await server.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Octopost API',
        version: '1.0.0',
        description: 'Schedule and publish posts to every network. Times are ISO 8601 UTC. Errors are {error, code, details}.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'oct_live_... API key' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await server.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const typed = server.withTypeProvider<ZodTypeProvider>();
  systemRoutes(typed, app);
  postRoutes(typed, app);
  accountRoutes(typed, app);
  presetRoutes(typed, app);
  meRoutes(typed, app);
  await server.ready();
  return server;
}
