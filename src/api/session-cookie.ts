import type { FastifyReply, FastifyRequest } from 'fastify';

/** The web app's session cookie, and the CSRF rule for every request it authenticates. */
export const SESSION_COOKIE = 'octopost_session';
export const CSRF_HEADER = 'x-octopost-csrf';

/** Behind a TLS-terminating proxy the app sees http; X-Forwarded-Proto tells it the browser used https. */
function isHttps(request: FastifyRequest): boolean {
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim();
  return request.protocol === 'https' || forwarded === 'https';
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(request),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(request) });
}

export const sessionTokenOf = (request: FastifyRequest): string | undefined => request.cookies?.[SESSION_COOKIE] || undefined;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isSafeMethod = (method: string) => SAFE_METHODS.has(method);

/**
 * Why a cookie-authenticated request that changes something is refused, or undefined when it may
 * go on. A page on another site cannot send a custom header without a CORS preflight (which this
 * server never grants), so requiring `X-Octopost-CSRF: 1` stops cross-site forms and scripts; the
 * Origin and Sec-Fetch-Site checks are a second line for browsers that send them.
 */
export function csrfProblem(request: FastifyRequest): string | undefined {
  if (request.headers[CSRF_HEADER] !== '1') return 'Requests signed in by cookie must send the header "X-Octopost-CSRF: 1".';
  if (request.headers['sec-fetch-site'] === 'cross-site') return 'Cross-site requests are refused.';
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'The Origin header is not a URL.';
  }
  const forwardedHost = String(request.headers['x-forwarded-host'] ?? '').split(',')[0]?.trim();
  const host = forwardedHost || request.headers.host;
  if (!host || originHost !== host) return `Requests from ${origin} are refused: the page must come from this server.`;
  return undefined;
}
