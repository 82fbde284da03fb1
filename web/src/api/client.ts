/** The one way the web app talks to the server: the REST API, with the session cookie and the CSRF header. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        // The server refuses cookie-authenticated changes without it (CSRF protection).
        'x-octopost-csrf': '1',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'Octopost cannot be reached. Check that the server is running, then try again.');
  }
  if (response.status === 204) return undefined as T;
  const json = (await response.json().catch(() => null)) as { error?: string; code?: string; details?: Record<string, unknown> } | null;
  if (!response.ok) {
    throw new ApiError(response.status, json?.code ?? 'error', json?.error ?? `The server answered ${response.status}.`, json?.details ?? {});
  }
  return json as T;
}

/** Builds a query string, repeating keys for arrays and leaving out empty values. */
export function query(params: Record<string, string | number | string[] | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : 'Something went wrong.');
