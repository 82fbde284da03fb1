import { forbidden, notFound, validationFailed } from '../core/errors.js';
import { ID_PREFIX, newId } from '../core/ids.js';
import { isSystemPresetId, SYSTEM_PRESETS } from '../core/system-presets.js';
import { listAccounts } from '../store/account.repository.js';
import {
  clearDefaultPreset,
  deletePreset,
  findPreset,
  insertPreset,
  listPresets,
  type PresetRecord,
  updatePreset,
} from '../store/preset.repository.js';
import type { AppContext } from './context.js';

export interface PresetInput {
  name?: string | undefined;
  accounts?: string[] | undefined;
  platforms?: string[] | undefined;
  primary_platform?: string | null | undefined;
  cross_link_enabled?: boolean | undefined;
  cross_link_template?: string | null | undefined;
  is_default?: boolean | undefined;
}

export interface PresetView extends PresetRecord {
  isSystem: boolean;
}

export class PresetService {
  constructor(private readonly ctx: AppContext) {}

  async list(userId: string): Promise<PresetView[]> {
    const own = await listPresets(this.ctx.store.db, userId);
    const anyDefault = own.some((p) => p.isDefault);
    return [...(await this.systemPresets(userId, !anyDefault)), ...own.map((p) => ({ ...p, isSystem: false }))];
  }

  async get(userId: string, id: string): Promise<PresetView> {
    if (isSystemPresetId(id)) {
      const found = (await this.list(userId)).find((p) => p.id === id);
      if (!found) throw notFound('Preset', id);
      return found;
    }
    const preset = await findPreset(this.ctx.store.db, userId, id);
    if (!preset) throw notFound('Preset', id);
    return { ...preset, isSystem: false };
  }

  async create(userId: string, input: PresetInput & { name: string }): Promise<PresetView> {
    const now = this.ctx.clock.now();
    const preset: PresetRecord = {
      id: newId(ID_PREFIX.preset, now),
      userId,
      name: input.name,
      accounts: input.accounts ?? [],
      platforms: input.platforms ?? [],
      primaryPlatform: input.primary_platform ?? null,
      crossLinkEnabled: input.cross_link_enabled ?? false,
      crossLinkTemplate: input.cross_link_template ?? null,
      isDefault: input.is_default ?? false,
      createdAt: now,
      updatedAt: now,
    };
    await this.check(userId, preset);
    await this.ctx.store.db.transaction().execute(async (trx) => {
      if (preset.isDefault) await clearDefaultPreset(trx, userId);
      await insertPreset(trx, preset);
    });
    return { ...preset, isSystem: false };
  }

  async update(userId: string, id: string, input: PresetInput): Promise<PresetView> {
    if (isSystemPresetId(id)) throw forbidden('Built-in presets cannot be changed; create your own preset instead.', { id });
    const current = await this.get(userId, id);
    const next: PresetRecord = {
      ...current,
      name: input.name ?? current.name,
      accounts: input.accounts ?? current.accounts,
      platforms: input.platforms ?? current.platforms,
      primaryPlatform: input.primary_platform !== undefined ? input.primary_platform : current.primaryPlatform,
      crossLinkEnabled: input.cross_link_enabled ?? current.crossLinkEnabled,
      crossLinkTemplate: input.cross_link_template !== undefined ? input.cross_link_template : current.crossLinkTemplate,
      isDefault: input.is_default ?? current.isDefault,
      updatedAt: this.ctx.clock.now(),
    };
    await this.check(userId, next);
    await this.ctx.store.db.transaction().execute(async (trx) => {
      if (next.isDefault && !current.isDefault) await clearDefaultPreset(trx, userId);
      await updatePreset(trx, next);
    });
    return { ...next, isSystem: false };
  }

  async delete(userId: string, id: string): Promise<void> {
    if (isSystemPresetId(id)) throw forbidden('Built-in presets cannot be deleted.', { id });
    await this.get(userId, id);
    await deletePreset(this.ctx.store.db, id);
  }

  private async systemPresets(userId: string, isDefault: boolean): Promise<PresetView[]> {
    const active = (await listAccounts(this.ctx.store.db, userId)).filter((a) => a.isActive);
    return SYSTEM_PRESETS.map((p) => ({
      id: p.id,
      userId: null,
      name: p.name,
      accounts: active.map((a) => a.id),
      platforms: [...new Set(active.map((a) => a.platform))],
      primaryPlatform: null,
      crossLinkEnabled: false,
      crossLinkTemplate: null,
      isDefault,
      createdAt: 0,
      updatedAt: 0,
      isSystem: true,
    }));
  }

  private async check(userId: string, preset: PresetRecord): Promise<void> {
    if (preset.name.trim() === '') throw validationFailed('name', 'name is empty.');
    const accounts = await listAccounts(this.ctx.store.db, userId);
    preset.accounts.forEach((id, i) => {
      if (!accounts.some((a) => a.id === id)) throw validationFailed(`accounts[${i}]`, `Account ${id} does not exist.`);
    });
    preset.platforms.forEach((name, i) => {
      if (!this.ctx.platforms.get(name)) throw validationFailed(`platforms[${i}]`, `Unknown platform "${name}".`);
    });
    if (preset.primaryPlatform !== null) {
      const selected = new Set([...preset.platforms, ...accounts.filter((a) => preset.accounts.includes(a.id)).map((a) => a.platform)]);
      if (!selected.has(preset.primaryPlatform)) {
        throw validationFailed('primary_platform', `primary_platform "${preset.primaryPlatform}" is not one of the preset's platforms.`);
      }
    }
    if (preset.crossLinkEnabled && (!preset.primaryPlatform || !preset.crossLinkTemplate?.includes('{link}'))) {
      throw validationFailed(
        'cross_link_template',
        'Cross-linking needs a primary_platform and a cross_link_template containing {link}.',
      );
    }
  }
}
