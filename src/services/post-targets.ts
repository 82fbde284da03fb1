import { DEFAULT_CROSS_LINK_TEMPLATE } from '../core/cross-link.js';
import { validationFailed } from '../core/errors.js';
import { isSystemPresetId, SYSTEM_PRESETS } from '../core/system-presets.js';
import { type AccountRecord, listAccounts } from '../store/account.repository.js';
import type { CrossLink } from '../store/post.repository.js';
import { findPreset, type PresetRecord } from '../store/preset.repository.js';
import type { AppContext } from './context.js';

export interface TargetSelection {
  accounts?: string[] | undefined;
  platforms?: string[] | undefined;
  preset_id?: string | undefined;
}

/**
 * Turns what the user picked (account ids, platform names or a preset) into the accounts a post
 * goes to, in the order given. Every problem is a 422 naming the field.
 */
export async function resolveTargets(
  ctx: AppContext,
  userId: string,
  sel: TargetSelection,
  /** The user's accounts when the caller already has them (the CSV import resolves thousands of rows). */
  known?: AccountRecord[],
): Promise<AccountRecord[]> {
  return (await resolveSelection(ctx, userId, sel, known)).accounts;
}

/** The accounts a post goes to, and the cross-link its preset asks for (null: none). */
export async function resolvePostTargets(ctx: AppContext, userId: string, sel: TargetSelection): Promise<{ accounts: AccountRecord[]; crossLink: CrossLink | null }> {
  const { accounts, preset } = await resolveSelection(ctx, userId, sel);
  return { accounts, crossLink: preset ? crossLinkOf(preset, accounts) : null };
}

async function resolveSelection(
  ctx: AppContext,
  userId: string,
  sel: TargetSelection,
  known?: AccountRecord[],
): Promise<{ accounts: AccountRecord[]; preset: PresetRecord | null }> {
  const given = [sel.accounts !== undefined, sel.platforms !== undefined, sel.preset_id !== undefined].filter(Boolean).length;
  if (given === 0) throw validationFailed('accounts', 'Pick where to publish: give one of accounts, platforms or preset_id.');
  if (given > 1) throw validationFailed('accounts', 'Give only one of accounts, platforms or preset_id.');
  const all = known ?? (await listAccounts(ctx.store.db, userId));
  const active = all.filter((a) => a.isActive);
  const byId = new Map(all.map((a) => [a.id, a]));

  if (sel.accounts !== undefined) return { accounts: pickAccounts(sel.accounts, byId, 'accounts'), preset: null };
  if (sel.platforms !== undefined) return { accounts: pickPlatforms(ctx, sel.platforms, active), preset: null };

  const presetId = sel.preset_id!;
  if (isSystemPresetId(presetId)) {
    if (!SYSTEM_PRESETS.some((p) => p.id === presetId)) throw validationFailed('preset_id', `Preset ${presetId} does not exist.`);
    if (active.length === 0) throw validationFailed('preset_id', 'The preset selects no account: connect an account first.');
    return { accounts: active, preset: null };
  }
  const preset = await findPreset(ctx.store.db, userId, presetId);
  if (!preset) throw validationFailed('preset_id', `Preset ${presetId} does not exist.`);
  const chosen = preset.accounts.length
    ? pickAccounts(preset.accounts, byId, 'preset_id')
    : [];
  const fromPlatforms = preset.platforms.length ? pickPlatforms(ctx, preset.platforms, active, 'preset_id') : [];
  const unique = [...new Map([...chosen, ...fromPlatforms].map((a) => [a.id, a])).values()];
  if (unique.length === 0) throw validationFailed('preset_id', `Preset "${preset.name}" selects no account.`);
  return { accounts: unique, preset };
}

function pickAccounts(ids: string[], byId: Map<string, AccountRecord>, field: string): AccountRecord[] {
  if (ids.length === 0) throw validationFailed(field, 'Select at least one account.');
  const seen = new Set<string>();
  return ids.map((id, i) => {
    const account = byId.get(id);
    const where = field === 'accounts' ? `accounts[${i}]` : field;
    if (!account) throw validationFailed(where, `Account ${id} does not exist.`);
    if (!account.isActive) {
      throw validationFailed(where, `Account ${account.displayName} (${account.platform}) needs to be reconnected before it can publish.`);
    }
    if (seen.has(id)) throw validationFailed(where, `Account ${id} is listed twice.`);
    seen.add(id);
    return account;
  });
}

function pickPlatforms(ctx: AppContext, names: string[], active: AccountRecord[], field = 'platforms'): AccountRecord[] {
  if (names.length === 0) throw validationFailed(field, 'Select at least one platform.');
  return [...new Set(names)].map((name, i) => {
    const where = field === 'platforms' ? `platforms[${i}]` : field;
    if (!ctx.platforms.get(name)) {
      throw validationFailed(where, `Unknown platform "${name}". Known: ${ctx.platforms.names().join(', ')}.`);
    }
    const matches = active.filter((a) => a.platform === name);
    if (matches.length === 0) throw validationFailed(where, `No active ${name} account is connected.`);
    if (matches.length > 1) {
      throw validationFailed(where, `Several ${name} accounts are connected; choose them by id in accounts.`, {
        accounts: matches.map((a) => a.id),
      });
    }
    return matches[0]!;
  });
}

/**
 * The preset's cross-link settings for a post going to `accounts`, when the preset asks for one
 * and one of the accounts is on its primary platform (else none: nothing to link to).
 */
function crossLinkOf(preset: PresetRecord, accounts: AccountRecord[]): CrossLink | null {
  if (!preset.crossLinkEnabled || !preset.primaryPlatform) return null;
  const primary = accounts.find((a) => a.platform === preset.primaryPlatform);
  if (!primary || accounts.length < 2) return null;
  return { primaryAccountId: primary.id, primaryPlatform: primary.platform, template: preset.crossLinkTemplate ?? DEFAULT_CROSS_LINK_TEMPLATE };
}
