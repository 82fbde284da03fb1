/**
 * Domain errors: what went wrong in the user's terms. Only `api` turns them into HTTP
 * status codes; the CLI prints them. `details` always says which field and why.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what} ${id} was not found.`, { id });

export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new DomainError('conflict', message, details);

export const validationFailed = (field: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError('validation_failed', message, { field, ...extra });

export const forbidden = (message: string, details: Record<string, unknown> = {}) =>
  new DomainError('forbidden', message, details);
