import { parse } from 'csv-parse/sync';
import { parseRowTime } from '../../core/csv-time.js';
import { DomainError, validationFailed } from '../../core/errors.js';
import { isValidZone } from '../../core/local-time.js';
import { MAX_STAGGER_MINUTES } from '../../core/time.js';
import { type AccountRecord, listAccounts } from '../../store/account.repository.js';
import type { AppContext } from '../context.js';
import { resolveTargets } from '../post-targets.js';
import type { NewPostRow, PostService } from '../post.service.js';
import type { PostingQueueService } from '../posting-queue.service.js';
import type { PresetService } from '../preset.service.js';
import type { UserService } from '../user.service.js';

/** The columns of docs/csv-import.md. Only `content` is required. */
export const CSV_COLUMNS = ['content', 'scheduled_at', 'timezone', 'accounts', 'platforms', 'preset_id', 'image_urls', 'alt_texts', 'stagger_minutes'] as const;

export interface ImportRowResult {
  line: number;
  post_id?: string;
  scheduled_for: number | null;
  local_time?: string;
  queued: boolean;
  adjusted?: boolean;
  reason?: string;
  accounts: string[];
}

export interface ImportProblem {
  line: number;
  field: string;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  rows: ImportRowResult[];
  errors: ImportProblem[];
  imported: number;
}

export type ImportProgress = (phase: 'checking' | 'writing', done: number, total: number) => void;

const MAX_ROWS = 50_000;
const listOf = (text: string) => text.split(/[\s;|,]+/).map((s) => s.trim()).filter(Boolean);

/**
 * CSV import: every row is checked first (a dry run stops there and reports every bad row with its
 * line and reason); the import itself writes all rows in one transaction, or none.
 */
export class CsvImportService {
  constructor(
    private readonly ctx: AppContext,
    private readonly posts: PostService,
    private readonly presets: PresetService,
    private readonly queues: PostingQueueService,
    private readonly users: UserService,
  ) {}

  async run(userId: string, csv: string, options: { dryRun: boolean; timezone?: string | undefined; onProgress?: ImportProgress }): Promise<ImportReport> {
    const zone = options.timezone ?? (await this.users.get(userId)).timezone ?? 'UTC';
    if (!isValidZone(zone)) throw validationFailed('timezone', `"${zone}" is not an IANA time zone name (like Europe/Berlin).`);
    const records = parseCsv(csv);
    const accounts = await listAccounts(this.ctx.store.db, userId);
    const defaultPreset = (await this.presets.list(userId)).find((p) => p.isDefault)?.id ?? 'preset_sys_all';
    const errors: ImportProblem[] = [];
    const rows: (ImportRowResult & { post: NewPostRow })[] = [];
    const reserved = new Map<string, Set<number>>();
    const now = this.ctx.clock.now();

    for (const [index, { line, record }] of records.entries()) {
      const problem = (field: string, message: string) => errors.push({ line, field, message });
      const before = errors.length;
      const content = record.content ?? '';
      if (content.trim() === '') problem('content', 'content is empty.');
      const rowZone = record.timezone?.trim() || zone;
      if (!isValidZone(rowZone)) problem('timezone', `"${rowZone}" is not an IANA time zone name.`);
      const time = parseRowTime(record.scheduled_at ?? '', isValidZone(rowZone) ? rowZone : 'UTC');
      if (time.kind === 'invalid') problem('scheduled_at', time.message);
      if (time.kind === 'at' && time.instant <= now) problem('scheduled_at', `${new Date(time.instant).toISOString()} is in the past.`);
      const stagger = record.stagger_minutes?.trim() ? Number(record.stagger_minutes) : 0;
      if (!Number.isInteger(stagger) || stagger < 0 || stagger > MAX_STAGGER_MINUTES) problem('stagger_minutes', `stagger_minutes must be a whole number from 0 to ${MAX_STAGGER_MINUTES}.`);
      const images = imagesOf(record.image_urls ?? '', record.alt_texts ?? '', problem);

      let targets: AccountRecord[] = [];
      const given = {
        ...(record.accounts?.trim() && { accounts: listOf(record.accounts) }),
        ...(record.platforms?.trim() && { platforms: listOf(record.platforms) }),
        ...(record.preset_id?.trim() && { preset_id: record.preset_id.trim() }),
      };
      try {
        targets = await resolveTargets(this.ctx, userId, Object.keys(given).length ? given : { preset_id: defaultPreset }, accounts);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        problem(String(err.details.field ?? 'accounts').replace(/\[\d+\]$/, ''), err.message);
      }
      const post: NewPostRow = { content, media: { images }, segments: [], accounts: targets, scheduledFor: null, staggerMinutes: Number.isInteger(stagger) ? stagger : 0 };
      for (const p of this.posts.contentProblems(post, targets)) problem(p.field, p.message);

      let queued = false;
      if (errors.length === before && time.kind === 'queue') {
        try {
          post.scheduledFor = await this.queues.nextFreeSlot(targets.map((a) => a.id), [], reserved);
          queued = true;
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          problem('scheduled_at', `Empty time means "add to queue", but: ${err.message}`);
        }
      } else if (time.kind === 'at') {
        post.scheduledFor = time.instant;
      }
      rows.push({
        line,
        scheduled_for: post.scheduledFor,
        queued,
        accounts: targets.map((a) => a.id),
        ...(time.kind === 'at' && { local_time: time.localTime, adjusted: time.adjusted, ...(time.reason && { reason: time.reason }) }),
        post,
      });
      if (index % 200 === 0) options.onProgress?.('checking', index, records.length);
    }
    options.onProgress?.('checking', records.length, records.length);

    const report = (imported: number, ids?: string[]): ImportReport => ({
      dryRun: options.dryRun,
      errors,
      imported,
      rows: rows.map(({ post: _post, ...row }, i) => ({ ...row, ...(ids && { post_id: ids[i] }) })),
    });
    if (errors.length > 0 || options.dryRun) return report(0);
    options.onProgress?.('writing', 0, rows.length);
    const ids = await this.posts.createMany(
      userId,
      rows.map((r) => r.post),
    );
    options.onProgress?.('writing', rows.length, rows.length);
    return report(ids.length, ids);
  }
}

function parseCsv(csv: string): { line: number; record: Record<string, string> }[] {
  let parsed: { info: { lines: number }; record: Record<string, string> }[];
  try {
    parsed = parse(csv, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, skip_empty_lines: true, info: true, relax_column_count: false, trim: false });
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new DomainError('validation_failed', `The file is not valid CSV: ${e.message}`, { field: 'csv', ...(e.lines !== undefined && { line: e.lines }) });
  }
  if (parsed.length === 0) throw validationFailed('csv', 'The file has no rows: the first line names the columns (content, scheduled_at, ...), then one post a line.');
  const header = Object.keys(parsed[0]!.record);
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) throw validationFailed('csv', `Unknown column(s): ${unknown.join(', ')}. Known: ${CSV_COLUMNS.join(', ')}.`);
  if (!header.includes('content')) throw validationFailed('csv', 'The file needs a "content" column.');
  if (parsed.length > MAX_ROWS) throw validationFailed('csv', `At most ${MAX_ROWS} rows per import; this file has ${parsed.length}.`);
  return parsed.map((p) => ({ line: p.info.lines, record: p.record }));
}

function imagesOf(urls: string, alts: string, problem: (field: string, message: string) => void) {
  const list = urls.split('|').map((u) => u.trim()).filter(Boolean);
  const altList = alts.split('|').map((a) => a.trim());
  return list.map((url, i) => {
    if (!/^https?:\/\/\S+$/i.test(url)) problem('image_urls', `"${url}" is not an http(s) URL.`);
    const alt = altList[i];
    return alt ? { url, alt_text: alt } : { url };
  });
}
