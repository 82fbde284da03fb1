import { notFound } from '../core/errors.js';
import { type ApiKeyRecord, listApiKeys, revokeApiKey } from '../store/api-key.repository.js';
import type { AppContext } from './context.js';
import type { UserService } from './user.service.js';

/** API keys as the Settings page manages them: list (never the key itself), create (shown once), revoke. */
export class ApiKeyService {
  constructor(
    private readonly ctx: AppContext,
    private readonly users: UserService,
  ) {}

  list(userId: string): Promise<ApiKeyRecord[]> {
    return listApiKeys(this.ctx.store.db, userId);
  }

  create(userId: string, name: string, scopes: string[]): Promise<{ key: string; record: ApiKeyRecord }> {
    return this.users.createApiKey(userId, name.trim(), scopes);
  }

  async revoke(userId: string, id: string): Promise<void> {
    if (!(await revokeApiKey(this.ctx.store.db, userId, id, this.ctx.clock.now()))) throw notFound('API key', id);
  }
}
