import { createHash, randomBytes } from 'node:crypto';
import { DomainError, validationFailed } from '../core/errors.js';
import { ID_PREFIX, newId } from '../core/ids.js';
import { type ApiKeyRecord, findApiKeyByHash, insertApiKey, touchApiKey } from '../store/api-key.repository.js';
import { findOwner, findUser, insertUser, updateUserTimezone, type UserRecord } from '../store/user.repository.js';
import type { AppContext } from './context.js';

export const API_SCOPES = [
  'posts:read',
  'posts:write',
  'accounts:read',
  'accounts:write',
  'presets:read',
  'presets:write',
  'webhooks:read',
  'webhooks:write',
] as const;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

export class UserService {
  constructor(private readonly ctx: AppContext) {}

  /** The instance's owner, created on first need (a fresh install has no user yet). */
  async ensureOwner(): Promise<UserRecord> {
    const existing = await findOwner(this.ctx.store.db);
    if (existing) return existing;
    return this.createUser(null);
  }

  async createUser(email: string | null): Promise<UserRecord> {
    const now = this.ctx.clock.now();
    const user: UserRecord = { id: newId(ID_PREFIX.user, now), email, timezone: null, createdAt: now };
    await insertUser(this.ctx.store.db, user);
    return user;
  }

  async get(userId: string): Promise<UserRecord> {
    const user = await findUser(this.ctx.store.db, userId);
    if (!user) throw new DomainError('unauthorized', 'The user of this key no longer exists.');
    return user;
  }

  async setTimezone(userId: string, timezone: string | null): Promise<UserRecord> {
    if (timezone !== null && !isValidTimeZone(timezone)) {
      throw validationFailed('timezone', `"${timezone}" is not an IANA time zone name (like Europe/Berlin).`);
    }
    await updateUserTimezone(this.ctx.store.db, userId, timezone);
    return this.get(userId);
  }

  /** Creates an API key. The key itself is returned once and only its hash is stored. */
  async createApiKey(userId: string, name: string, scopes: string[]): Promise<{ key: string; record: ApiKeyRecord }> {
    if (name.trim() === '') throw validationFailed('name', 'The key needs a name.');
    for (const scope of scopes) {
      if (!(API_SCOPES as readonly string[]).includes(scope)) {
        throw validationFailed('scopes', `Unknown scope "${scope}". Known: ${API_SCOPES.join(', ')}.`);
      }
    }
    const now = this.ctx.clock.now();
    const key = `oct_live_${randomBytes(24).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: newId(ID_PREFIX.apiKey, now),
      userId,
      name,
      keyHint: `${key.slice(0, 13)}…${key.slice(-4)}`,
      scopes,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    };
    await insertApiKey(this.ctx.store.db, record, hashApiKey(key));
    return { key, record };
  }

  /** The key's record if it is valid and not revoked. last_used_at is kept to the minute. */
  async authenticate(key: string): Promise<ApiKeyRecord | undefined> {
    const record = await findApiKeyByHash(this.ctx.store.db, hashApiKey(key));
    if (!record || record.revokedAt !== null) return undefined;
    const now = this.ctx.clock.now();
    if (record.lastUsedAt === null || now - record.lastUsedAt > 60_000) await touchApiKey(this.ctx.store.db, record.id, now);
    return record;
  }
}
