import { sql } from 'kysely';
import { countDue } from '../store/delivery.repository.js';
import type { AppContext } from './context.js';

/**
 * What /healthz and /metrics answer: on the API's own port (`serve`), and on the metrics port of
 * an `octopost worker` (OCTOPOST_METRICS_PORT), which has no API but does the publishing whose
 * metrics matter most.
 */
export async function healthOf(ctx: AppContext, workerRunning: boolean) {
  try {
    await sql`SELECT 1`.execute(ctx.store.db);
    return { ok: true, body: { status: 'ok', database: ctx.store.dialect, worker: workerRunning ? 'running' : 'off' } };
  } catch {
    return { ok: false, body: { status: 'unavailable', database: ctx.store.dialect } };
  }
}

export async function metricsOf(ctx: AppContext): Promise<{ contentType: string; text: string }> {
  try {
    ctx.metrics.dueBacklog.set(await countDue(ctx.store.db, ctx.clock.now()));
  } catch {
    // The database being away must not hide the other metrics.
  }
  return { contentType: ctx.metrics.registry.contentType, text: await ctx.metrics.registry.metrics() };
}
