import type { PublishError } from '../core/retry-policy.js';

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds to wait. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Connection errors that prove the request never reached the other side: safe to repeat. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function networkErrorCode(err: unknown): string | undefined {
  let e: any = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause;
  }
  return undefined;
}

export function requestNeverSent(err: unknown): boolean {
  const code = networkErrorCode(err);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

export function timeoutError(seconds: number): PublishError {
  return {
    code: 'timeout',
    message: `No answer within ${seconds} s; the request may or may not have been received.`,
    permanent: false,
  };
}
