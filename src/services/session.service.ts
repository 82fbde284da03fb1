import { createHash, randomBytes } from 'node:crypto';
import { conflict, DomainError, validationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import {
  claimOwnerCredentials,
  countUsersWithPassword,
  deleteExpiredSessions,
  deleteSessionByHash,
  extendSession,
  findPasswordByEmail,
  findSessionByHash,
  insertSession,
} from '../store/session.repository.js';
import type { AppContext } from './context.js';
import { decoyHash, hashPassword, verifyPassword } from './password.js';
import type { UserService } from './user.service.js';

/** A session lasts 30 days from its last use (sliding), refreshed at most once an hour. */
export const SESSION_TTL_MS = 30 * 24 * 3_600_000;
const REFRESH_AFTER_MS = 3_600_000;

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 200;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SignedIn {
  token: string;
  userId: string;
  expiresAt: number;
}

/** Web sign-in: the first-start setup of the owner, password sign-in and cookie sessions. */
export class SessionService {
  constructor(
    private readonly ctx: AppContext,
    private readonly users: UserService,
  ) {}

  /** True until someone has set a password (a fresh install, or one used only with CLI-made keys). */
  async setupRequired(): Promise<boolean> {
    return (await countUsersWithPassword(this.ctx.store.db)) === 0;
  }

  /**
   * First start: gives the owner an email and a password, then signs in. The owner may already
   * exist without a password (`octopost keys create` makes one); its keys and posts stay its own.
   */
  async setup(email: string, password: string, userAgent: string | null): Promise<SignedIn> {
    const normalized = checkEmail(email);
    checkPassword(password);
    if (!(await this.setupRequired())) throw alreadySetUp();
    const owner = await this.users.ensureOwner();
    const claimed = await claimOwnerCredentials(this.ctx.store.db, owner.id, normalized, await hashPassword(password));
    if (!claimed) throw alreadySetUp();
    return this.start(owner.id, userAgent);
  }

  async signIn(email: string, password: string, userAgent: string | null): Promise<SignedIn> {
    const found = await findPasswordByEmail(this.ctx.store.db, email.trim().toLowerCase());
    const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyHash()));
    if (!found || !ok) throw new DomainError('unauthorized', 'The email or the password is wrong.', { field: 'password' });
    return this.start(found.userId, userAgent);
  }

  /** The session's user id, or undefined when the token is unknown or expired. Slides the expiry. */
  async authenticate(token: string): Promise<{ userId: string; expiresAt: number; refreshed: boolean } | undefined> {
    const now = this.ctx.clock.now();
    const session = await findSessionByHash(this.ctx.store.db, hashToken(token));
    if (!session || session.expiresAt <= now) return undefined;
    if (now - session.lastSeenAt < REFRESH_AFTER_MS) return { userId: session.userId, expiresAt: session.expiresAt, refreshed: false };
    const expiresAt = now + SESSION_TTL_MS;
    await extendSession(this.ctx.store.db, session.id, now, expiresAt);
    return { userId: session.userId, expiresAt, refreshed: true };
  }

  async signOut(token: string): Promise<void> {
    await deleteSessionByHash(this.ctx.store.db, hashToken(token));
  }

  private async start(userId: string, userAgent: string | null): Promise<SignedIn> {
    const now = this.ctx.clock.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + SESSION_TTL_MS;
    await deleteExpiredSessions(this.ctx.store.db, now);
    await insertSession(
      this.ctx.store.db,
      { id: newId('ses', now), userId, createdAt: now, lastSeenAt: now, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null },
      hashToken(token),
    );
    return { token, userId, expiresAt };
  }
}

function checkEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!EMAIL.test(normalized) || normalized.length > 254) throw validationFailed('email', 'Enter an email address like you@example.com.');
  return normalized;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw validationFailed('password', `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`, { min: MIN_PASSWORD_LENGTH });
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw validationFailed('password', `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`);
}

const alreadySetUp = () => conflict('Octopost is already set up: sign in instead.', { setup_required: false });
