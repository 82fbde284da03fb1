import type { Account, Preset } from '../api/types.ts';

/** Where a post goes: a preset (sent as preset_id) or accounts picked by hand. */
export interface Targets {
  presetId: string | null;
  accountIds: string[];
}

/** The accounts a preset selects now, as the server resolves it (post-targets.ts): its accounts, then one per platform. */
export function presetAccounts(preset: Preset, accounts: Account[]): string[] {
  const active = accounts.filter((a) => a.is_active);
  const chosen = preset.accounts.filter((id) => active.some((a) => a.id === id));
  const byPlatform = preset.platforms.flatMap((name) => {
    const matches = active.filter((a) => a.platform === name);
    return matches.length === 1 ? [matches[0]!.id] : [];
  });
  return [...new Set([...chosen, ...byPlatform])];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** What to send: the preset while the selection is still exactly the preset's, else the accounts. */
export function targetsBody(t: Targets, presets: Preset[], accounts: Account[]): { preset_id: string } | { accounts: string[] } {
  const preset = presets.find((p) => p.id === t.presetId);
  if (preset && sameSet(presetAccounts(preset, accounts), t.accountIds)) return { preset_id: preset.id };
  return { accounts: t.accountIds };
}

export function defaultTargets(presets: Preset[], accounts: Account[]): Targets {
  const preset = presets.find((p) => p.is_default);
  if (!preset) return { presetId: null, accountIds: [] };
  return { presetId: preset.id, accountIds: presetAccounts(preset, accounts) };
}
