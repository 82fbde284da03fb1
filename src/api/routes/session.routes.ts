import { z } from 'zod';
import type { App } from '../../app.js';
import { DomainError } from '../../core/errors.js';
import type { SessionService } from '../../services/session.service.js';
import { sendError } from '../error-handler.js';
import { LoginThrottle } from '../login-throttle.js';
import { errorResponses } from '../schemas/common.schemas.js';
import { clearSessionCookie, sessionTokenOf, setSessionCookie } from '../session-cookie.js';
import type { TypedServer } from './route-types.js';

const SessionWire = z
  .object({
    setup_required: z.boolean().describe('true on a fresh install: POST /v1/setup creates the owner'),
    signed_in: z.boolean(),
    user: z.object({ id: z.string(), email: z.string().nullable(), timezone: z.string().nullable() }).nullable(),
    expires_at: z.string().nullable(),
  })
  .meta({ id: 'Session' });

const Credentials = z.strictObject({
  email: z.string().max(254),
  password: z.string().max(1000),
});

const tags = ['session'];
const csrfNote = 'Browser requests must send "X-Octopost-CSRF: 1"; a session cookie is set on success.';

export function sessionRoutes(server: TypedServer, app: App, sessions: SessionService) {
  const { users } = app.services;
  const throttle = new LoginThrottle();

  const signedIn = async (userId: string, expiresAt: number) => {
    const user = await users.get(userId);
    return {
      setup_required: false,
      signed_in: true,
      user: { id: user.id, email: user.email, timezone: user.timezone },
      expires_at: new Date(expiresAt).toISOString(),
    };
  };

  server.get('/v1/session', {
    schema: { tags, summary: 'Who is signed in by cookie, and whether the first-start setup is still to do', response: { 200: SessionWire } },
  }, async (request) => {
    const token = sessionTokenOf(request);
    const session = token ? await sessions.authenticate(token) : undefined;
    if (session) return signedIn(session.userId, session.expiresAt);
    return { setup_required: await sessions.setupRequired(), signed_in: false, user: null, expires_at: null };
  });

  server.post('/v1/setup', {
    config: { csrf: true },
    schema: {
      tags,
      summary: `First start only: give the owner an email and a password (at least 10 characters), and sign in. 409 once done. ${csrfNote}`,
      body: Credentials,
      response: { 201: SessionWire, ...errorResponses },
    },
  }, async (request, reply) => {
    const result = await sessions.setup(request.body.email, request.body.password, request.headers['user-agent'] ?? null);
    setSessionCookie(request, reply, result.token, result.expiresAt);
    return reply.code(201).send(await signedIn(result.userId, result.expiresAt));
  });

  server.post('/v1/session', {
    config: { csrf: true },
    schema: { tags, summary: `Sign in with email and password. ${csrfNote}`, body: Credentials, response: { 200: SessionWire, ...errorResponses } },
  }, async (request, reply) => {
    const now = app.ctx.clock.now();
    const wait = throttle.waitMs(request.ip, now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      reply.header('retry-after', seconds);
      return sendError(reply, 429, 'rate_limited', `Too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} min.`, { retry_after: seconds });
    }
    try {
      const result = await sessions.signIn(request.body.email, request.body.password, request.headers['user-agent'] ?? null);
      throttle.succeed(request.ip);
      setSessionCookie(request, reply, result.token, result.expiresAt);
      return reply.send(await signedIn(result.userId, result.expiresAt));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthorized') throttle.fail(request.ip, now);
      throw err;
    }
  });

  server.delete('/v1/session', {
    config: { csrf: true },
    schema: { tags, summary: `Sign out (forgets the session). ${csrfNote}`, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    const token = sessionTokenOf(request);
    if (token) await sessions.signOut(token);
    clearSessionCookie(request, reply);
    return reply.code(204).send(null);
  });
}
