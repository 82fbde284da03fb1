import fastifyCookie from '@fastify/cookie';
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
import { ApiKeyService } from '../services/api-key.service.js';
import { SessionService } from '../services/session.service.js';
import { authenticate } from './auth.js';
import { collectAllowedMethods } from './allowed-methods.js';
import { errorHandler, sendError } from './error-handler.js';
import { ErrorBody } from './schemas/common.schemas.js';
import { registerRateLimits } from './rate-limit-hooks.js';
import { guardRequestInput } from './request-guard.js';
import { accountRoutes } from './routes/account.routes.js';
import { bulkRoutes } from './routes/bulk.routes.js';
import { queueRoutes } from './routes/queue.routes.js';
import { importRoutes } from './routes/import.routes.js';
import { keyRoutes } from './routes/key.routes.js';
import { meRoutes } from './routes/me.routes.js';
import { platformRoutes } from './routes/platform.routes.js';
import { postRoutes } from './routes/post.routes.js';
import { presetRoutes } from './routes/preset.routes.js';
import { sessionRoutes } from './routes/session.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { registerWebApp } from './web-app.js';


const BODY_LIMIT = 1024 * 1024;

/** The HTTP server: routes validate, call a service and map errors; nothing else lives here. */
export interface ServerOptions {
  /** The built web app (default: dist/web); without one, `/` shows how to build it. */
  webDir?: string;
}

export async function buildServer(app: App, options: ServerOptions = {}): Promise<FastifyInstance> {
  // Web sign-in and key management are HTTP-facing use-cases: built here, on the process's context.
  const sessions = new SessionService(app.ctx, app.services.users);
  const keys = new ApiKeyService(app.ctx, app.services.users);
  const server = Fastify({
    loggerInstance: app.ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would drown the scheduler's; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // The client's address (rate limits, the sign-in throttle) from X-Forwarded-For, when the
    // peer is a trusted proxy: otherwise, behind the usual reverse proxy, every client was the
    // proxy, and ten wrong passwords from anyone locked everyone out of signing in.
    trustProxy: app.ctx.config.trustProxy,
    // The router refuses some URLs before any route or hook runs: answer them with the error body too.
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') return sendError(reply, 400, 'bad_request', 'The URL is not valid (malformed percent-encoding).', { field: 'url' });
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, 414, 'bad_request', 'A part of the URL is too long to be an id.', { field: 'url' });
      return sendError(reply, 500, 'internal_error', 'Something went wrong on our side; it has been logged.');
    },
  });
  server.setValidatorCompiler(validatorCompiler);
  // Responses are checked against their schemas in tests (a presenter drifting from the contract
  // fails there); in production presenters build exact objects, and checking a 500-post page
  // with zod took a fifth of its time.
  server.setSerializerCompiler(app.ctx.config.checkResponses ? serializerCompiler : () => (data) => JSON.stringify(data));
  server.setErrorHandler(errorHandler);
  // The web app's pages are routed in the browser: an unknown page path gets index.html.
  let pageFallback: Awaited<ReturnType<typeof registerWebApp>> = () => undefined;
  const allowedMethods = collectAllowedMethods(server);
  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allow = allowedMethods(path);
    if (allow.length > 0 && !allow.includes(request.method)) {
      return sendError(reply.header('allow', allow.join(', ')), 405, 'method_not_allowed', `${path} answers ${allow.join(', ')}, not ${request.method}.`, { allow });
    }
    return pageFallback(request, reply) ?? sendError(reply, 404, 'not_found', `No route ${request.method} ${path}.`);
  });
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
  server.addHook('preValidation', guardRequestInput);

  await server.register(fastifyCookie);

  registerRateLimits(server, app.ctx.config.rateLimitPerMinute, app.ctx.clock);
  server.addHook('onRequest', authenticate(app.services.users, sessions));

  await server.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Octopost API',
        version: '1.0.0',
        description:
          'Schedule and publish posts to every network. Times are ISO 8601 UTC. Errors are {error, code, details}, `details.field` naming the input to fix: ' +
          '400 when the request does not have the documented shape (not JSON, a missing field, a wrong type), 422 when it has but a value is not acceptable ' +
          '(a past time, an unknown key, too long for a network), 503 with Retry-After while the database is unreachable.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'oct_live_... API key' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'octopost_session',
            description: 'The web app\'s session (POST /v1/session). Requests that change something must also send "X-Octopost-CSRF: 1".',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await server.register(fastifySwaggerUi, { routePrefix: '/docs' });

  documentAnswersOfEveryRoute(server);
  const typed = server.withTypeProvider<ZodTypeProvider>();
  systemRoutes(typed, app);
  postRoutes(typed, app);
  accountRoutes(typed, app);
  presetRoutes(typed, app);
  meRoutes(typed, app);
  bulkRoutes(typed, app);
  queueRoutes(typed, app);
  importRoutes(typed, app);
  platformRoutes(typed, app);
  sessionRoutes(typed, app, sessions);
  keyRoutes(typed, app, keys);
  pageFallback = await registerWebApp(server, options.webDir);
  await server.ready();
  return server;
}

/**
 * Answers any route can give, whatever it does, added to each route's documented responses: the
 * database away (503, with Retry-After; error-handler.ts), and for every method whose body is
 * read (even where the route expects none), a body too large or not JSON (413, 415). Written
 * once here rather than on ~45 routes.
 */
function documentAnswersOfEveryRoute(server: FastifyInstance) {
  server.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean; response?: Record<number, unknown> } | undefined;
    if (!schema?.response || schema.hide) return;
    schema.response[503] ??= ErrorBody;
    if ([route.method].flat().some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m))) {
      schema.response[413] ??= ErrorBody;
      schema.response[415] ??= ErrorBody;
    }
  });
}
