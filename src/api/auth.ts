import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserService } from '../services/user.service.js';
import { sendError } from './error-handler.js';

export interface Principal {
  userId: string;
  keyId: string;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Scope an API key needs for this route ('authenticated': any valid key); unset routes are public. */
    scope?: string;
  }
}

const BEARER = /^Bearer\s+(oct_live_[A-Za-z0-9_-]{10,100})\s*$/;

/** Resolves the API key, then enforces the route's scope (a key without scopes has full access). */
export function authenticate(users: UserService) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const header = request.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    if (!match) {
      return sendError(reply, 401, 'unauthorized', header ? 'The Authorization header is not "Bearer oct_live_...".' : 'Send your API key as "Authorization: Bearer oct_live_...".', { field: 'authorization' });
    }
    const key = await users.authenticate(match[1]!);
    if (!key) return sendError(reply, 401, 'unauthorized', 'This API key is unknown or revoked.', { field: 'authorization' });
    request.principal = { userId: key.userId, keyId: key.id, scopes: key.scopes };
    if (scope !== 'authenticated' && key.scopes.length > 0 && !key.scopes.includes(scope)) {
      return sendError(reply, 403, 'forbidden', `This API key lacks the ${scope} scope.`, { required_scope: scope, key_scopes: key.scopes });
    }
  };
}

/** The signed-in user's id; routes only run after `authenticate` succeeded. */
export function userIdOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error('route without authentication');
  return request.principal.userId;
}
