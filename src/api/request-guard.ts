import type { FastifyRequest } from 'fastify';
import { DomainError } from '../core/errors.js';

/** Deeper than any body of this API needs; free-form fields (platform_options) stay storable. */
const MAX_DEPTH = 32;

/**
 * Refuses, as a 400 naming the field, input no database of ours can take as the same thing:
 * - U+0000 in any text (path, query or body): PostgreSQL cannot store it in a text column and
 *   answered with a 500, while SQLite stored it; no text a person writes contains it.
 * - JSON nested deeper than MAX_DEPTH: serialising it for storage overflowed the stack (a 500).
 * Runs as a preValidation hook, after the body is parsed and before the schemas.
 */
export async function guardRequestInput(request: FastifyRequest): Promise<void> {
  const problem =
    inspect(request.params, 'params', 0) ?? inspect(request.query, 'querystring', 0) ?? inspect(request.body, '', 0);
  if (!problem) return;
  const field = problem.field || 'body';
  const message =
    problem.kind === 'nul'
      ? `${field} contains a NUL character (\\u0000), which cannot be stored.`
      : `${field} is nested more than ${MAX_DEPTH} levels deep.`;
  throw new DomainError('bad_request', message, { field });
}

type Problem = { kind: 'nul' | 'depth'; field: string };

function inspect(value: unknown, field: string, depth: number): Problem | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? { kind: 'nul', field } : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return { kind: 'depth', field };
  for (const [key, item] of Object.entries(value)) {
    const path = Array.isArray(value) ? `${field}[${key}]` : field ? `${field}.${key}` : key;
    if (key.includes('\u0000')) return { kind: 'nul', field: path };
    const found = inspect(item, path, depth + 1);
    if (found) return found;
  }
  return undefined;
}
