import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainError } from '../core/errors.js';

/** Parses a user-given URL: http(s) only, and (when hosting others) no loopback or private hosts. */
export async function checkPublicUrl(field: string, raw: string, blockPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError('validation_failed', `${field} is not a valid URL.`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DomainError('validation_failed', `${field} must be an http or https URL, not ${url.protocol.replace(':', '')}.`, { field });
  }
  if (url.username || url.password) {
    throw new DomainError('validation_failed', `${field} must not contain a user name or password; use the secret instead.`, { field });
  }
  if (blockPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolve(host, field);
    if (addresses.some(isPrivateAddress)) {
      throw new DomainError(
        'validation_failed',
        `${field} points to a loopback or private network address, which this server refuses (OCTOPOST_BLOCK_PRIVATE_URLS=true).`,
        { field },
      );
    }
  }
  return url;
}

async function resolve(host: string, field: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw new DomainError('validation_failed', `${field}: the host ${host} could not be found.`, { field });
  }
}

export function isPrivateAddress(address: string): boolean {
  if (address === '::1' || address === '::' || /^f[cd]/i.test(address) || /^fe80/i.test(address)) return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  const parts = v4.split('.').map(Number);
  if (parts.length !== 4) return false;
  const [a, b] = parts as [number, number, number, number];
  return (
    a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  );
}
