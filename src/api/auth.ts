import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../services/session.service.js';
import type { UserService } from '../services/user.service.js';
import { sendError } from './error-handler.js';
import { clearSessionCookie, csrfProblem, isSafeMethod, sessionTokenOf, setSessionCookie } from './session-cookie.js';

export interface Principal {
  userId: string;
  /** How the request proved who it is: an API key (scoped) or the web app's session cookie (full access). */
  via: 'key' | 'session';
  keyId: string | null;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * What the route needs: a scope an API key must hold, 'authenticated' (any valid key or
     * session), or 'full' (a session or a key without scopes: managing keys must not let a
     * narrow key mint a wider one). Unset routes are public.
     */
    scope?: string;
    /** Public routes that start or end a cookie session: CSRF-checked like cookie-authenticated ones. */
    csrf?: boolean;
  }
}

// The scheme is case-insensitive (RFC 9110 §11.1); the key itself is not.
const BEARER = /^bearer\s+(\S*)\s*$/i;
const API_KEY = /^oct_live_[A-Za-z0-9_-]{10,100}$/;

/**
 * Every /v1 route accepts either `Authorization: Bearer oct_live_...` or the session cookie.
 * The header wins when both are sent. A cookie request that changes something must pass the CSRF
 * check first (see session-cookie.ts).
 */
export function authenticate(users: UserService, sessions: SessionService) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { scope, csrf } = request.routeOptions.config ?? {};
    if (!scope) {
      const problem = csrf && !isSafeMethod(request.method) ? csrfProblem(request) : undefined;
      if (problem) return sendError(reply, 403, 'forbidden', problem, { field: 'x-octopost-csrf' });
      return;
    }
    const header = request.headers.authorization;
    if (header !== undefined) return authenticateKey(request, reply, users, header, scope);
    const token = sessionTokenOf(request);
    if (!token) return sendError(reply, 401, 'unauthorized', 'Send your API key as "Authorization: Bearer oct_live_...", or sign in.', { field: 'authorization' });
    if (!isSafeMethod(request.method)) {
      const problem = csrfProblem(request);
      if (problem) return sendError(reply, 403, 'forbidden', problem, { field: 'x-octopost-csrf' });
    }
    const session = await sessions.authenticate(token);
    if (!session) {
      clearSessionCookie(request, reply);
      return sendError(reply, 401, 'unauthorized', 'Your session has ended; sign in again.', { field: 'cookie' });
    }
    if (session.refreshed) setSessionCookie(request, reply, token, session.expiresAt);
    request.principal = { userId: session.userId, via: 'session', keyId: null, scopes: [] };
  };
}

async function authenticateKey(request: FastifyRequest, reply: FastifyReply, users: UserService, header: string, scope: string) {
  const token = BEARER.exec(header)?.[1];
  if (!token) return sendError(reply, 401, 'unauthorized', 'The Authorization header is not "Bearer <API key>".', { field: 'authorization' });
  if (!API_KEY.test(token)) {
    return sendError(reply, 401, 'unauthorized', 'This is not a whole Octopost API key: keys start with "oct_live_" and are shown in full once, when created.', { field: 'authorization' });
  }
  const key = await users.authenticate(token);
  if (!key) return sendError(reply, 401, 'unauthorized', 'This API key is unknown or revoked.', { field: 'authorization' });
  request.principal = { userId: key.userId, via: 'key', keyId: key.id, scopes: key.scopes };
  if (scope === 'authenticated' || key.scopes.length === 0) return;
  if (scope === 'full') {
    return sendError(reply, 403, 'forbidden', 'Only a key without scopes (full access) or a signed-in user may do this.', { key_scopes: key.scopes });
  }
  if (!key.scopes.includes(scope)) {
    return sendError(reply, 403, 'forbidden', `This API key lacks the ${scope} scope.`, { required_scope: scope, key_scopes: key.scopes });
  }
}

/** The signed-in user's id; routes only run after `authenticate` succeeded. */
export function userIdOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error('route without authentication');
  return request.principal.userId;
}
