import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, type ErrorCode } from '../core/errors.js';
import { isConflictRollback, isDatabaseUnavailable } from '../store/database.js';

/** What a 503 for an unreachable database asks the client to wait, in seconds. */
const RETRY_AFTER_SECONDS = 5;

/** The only place that knows which HTTP status a domain error is. */
const STATUS_OF: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  validation_failed: 422,
  rate_limited: 429,
  unavailable: 503,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}) {
  return reply.code(status).type('application/json').send({ error: message, code, details });
}

/**
 * Every failure becomes `{error, code, details}`. Wrong types and missing fields are 400; values
 * of the right type that are not acceptable are 422. A stack trace never reaches the client.
 */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) return sendError(reply, STATUS_OF[err.code], err.code, err.message, err.details);

  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    const issues = err.validation.map((v) => ({
      field: fieldName(where, v.keyword === 'unrecognized_keys' ? `${v.instancePath}/${unknownKeyOf(v.params)}` : v.instancePath),
      problem: v.keyword,
      message: v.message ?? 'invalid',
    }));
    const first = issues[0]!;
    const typeProblem = issues.some((i) => i.problem === 'invalid_type' || i.problem === 'invalid_union');
    const status = typeProblem ? 400 : 422;
    const sentence = `${first.field}: ${first.message}`;
    return sendError(reply, status, status === 400 ? 'bad_request' : 'validation_failed', sentence, { field: first.field, issues });
  }

  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(reply, 400, 'bad_request', 'The request body is not valid JSON.', { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, 413, 'payload_too_large', 'The request body is too large (1 MB at most).', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.', { field: 'content-type' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendError(reply, 400, 'bad_request', 'Content-Length does not match the body.', { field: 'body' });
  }
  if (err instanceof SyntaxError) return sendError(reply, 400, 'bad_request', 'The request body is not valid JSON.', { field: 'body' });
  if (isDatabaseUnavailable(err)) {
    // PostgreSQL restarting or unreachable, SQLite locked past its busy timeout, or a change undone
    // to settle a conflict with another: nothing is wrong with the request, so say when to try
    // again rather than answer 500. Logged without the stack (one line per request is enough).
    request.log.warn({ code: (err as { code?: string }).code, reason: err.message }, 'database unavailable: answered 503');
    const conflict = isConflictRollback(err);
    const retryAfter = conflict ? 1 : RETRY_AFTER_SECONDS;
    reply.header('retry-after', String(retryAfter));
    const message = conflict
      ? 'Another change to the same data was being made at that moment, so the database undid this one; nothing was changed. Try again.'
      : 'The database cannot be reached right now (it may be restarting); try again in a few seconds.';
    return sendError(reply, 503, 'service_unavailable', message, { retry_after_seconds: retryAfter });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(reply, err.statusCode, err.statusCode === 404 ? 'not_found' : 'bad_request', err.message);
  }
  request.log.error({ err }, 'unexpected error');
  return sendError(reply, 500, 'internal_error', 'Something went wrong on our side; it has been logged.');
}

/** The first key zod did not expect ("schedule_for" for "scheduled_for"): the field a person must fix. */
function unknownKeyOf(params: unknown): string {
  const keys = (params as { keys?: unknown } | undefined)?.keys; // the zod issue's own fields
  return Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : '';
}

function fieldName(where: string, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').split('/').filter(Boolean);
  const dotted = path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  if (dotted) return where === 'body' ? dotted : `${where}.${dotted}`;
  return where;
}
