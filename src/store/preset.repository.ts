import type { Kysely, Selectable } from 'kysely';
import type { Database, PresetsTable } from './schema.js';

type Db = Kysely<Database>;

export interface PresetRecord {
  id: string;
  userId: string | null;
  name: string;
  accounts: string[];
  platforms: string[];
  primaryPlatform: string | null;
  crossLinkEnabled: boolean;
  crossLinkTemplate: string | null;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

function toRecord(row: Selectable<PresetsTable>): PresetRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    accounts: JSON.parse(row.accounts),
    platforms: JSON.parse(row.platforms),
    primaryPlatform: row.primary_platform,
    crossLinkEnabled: row.cross_link_enabled === 1,
    crossLinkTemplate: row.cross_link_template,
    isDefault: row.is_default === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(p: PresetRecord) {
  return {
    id: p.id,
    user_id: p.userId,
    name: p.name,
    accounts: JSON.stringify(p.accounts),
    platforms: JSON.stringify(p.platforms),
    primary_platform: p.primaryPlatform,
    cross_link_enabled: p.crossLinkEnabled ? 1 : 0,
    cross_link_template: p.crossLinkTemplate,
    is_default: p.isDefault ? 1 : 0,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export async function listPresets(db: Db, userId: string): Promise<PresetRecord[]> {
  const rows = await db.selectFrom('presets').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  return rows.map(toRecord);
}

export async function findPreset(db: Db, userId: string, id: string): Promise<PresetRecord | undefined> {
  const row = await db.selectFrom('presets').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function insertPreset(db: Db, preset: PresetRecord): Promise<void> {
  await db.insertInto('presets').values(toRow(preset)).execute();
}

export async function updatePreset(db: Db, preset: PresetRecord): Promise<void> {
  const { id, created_at: _created, ...rest } = toRow(preset);
  await db.updateTable('presets').set(rest).where('id', '=', id).execute();
}

export async function deletePreset(db: Db, id: string): Promise<void> {
  await db.deleteFrom('presets').where('id', '=', id).execute();
}

/** Only one default preset per user. */
export async function clearDefaultPreset(db: Db, userId: string): Promise<void> {
  await db.updateTable('presets').set({ is_default: 0 }).where('user_id', '=', userId).execute();
}
