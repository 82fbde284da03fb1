/**
 * Built-in presets, the same for every user and read-only (403 on change). They are computed,
 * not stored: "All Platforms" always means every active account the user has right now.
 */
export interface SystemPreset {
  id: string;
  name: string;
  /** Which of the user's active accounts the preset selects. */
  selects: 'all_active';
}

export const SYSTEM_PRESETS: readonly SystemPreset[] = [{ id: 'preset_sys_all', name: 'All Platforms', selects: 'all_active' }];

export const isSystemPresetId = (id: string) => id.startsWith('preset_sys_');
