import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Store } from './database.js';

/**
 * Tells every scheduler that a delivery became due at `dueAt`, so its timer can be re-armed
 * before the 60-second sweep. In one process an event is enough; with PostgreSQL the same
 * announcement goes through NOTIFY so workers on other nodes hear it too.
 */
export interface DueNotifier {
  announce(dueAt: number): void;
  subscribe(listener: (dueAt: number) => void): () => void;
  close(): Promise<void>;
}

const CHANNEL = 'octopost_due';

export interface ListenCheck {
  /** How often the LISTEN connection is asked a `SELECT 1`. */
  everyMs: number;
  /** How long the answer may take before the connection is taken for dead. */
  timeoutMs: number;
}

/**
 * The LISTEN connection is the only one held open with nothing to say, and a connection that dies
 * silently (a NAT or load balancer dropping it after minutes of idleness, a host gone) is noticed
 * by TCP only after many minutes: meanwhile no announcement arrives, and posts due "now" waited
 * for the sweep. A question every 30 s keeps it from looking idle, and an answer missing for 10 s
 * makes the notifier listen again on a new connection.
 */
const LISTEN_CHECK: ListenCheck = { everyMs: 30_000, timeoutMs: 10_000 };

export function createDueNotifier(store: Store, onError: (err: Error) => void = () => {}, check: ListenCheck = LISTEN_CHECK): DueNotifier {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const pool = store.pgPool;
  /** Releases the LISTEN connection once, whoever asks first (its error handler, or close). */
  let dropListener: (() => void) | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    if (!pool || closed) return;
    let client: pg.PoolClient | undefined;
    let dropClient = () => {};
    try {
      client = await pool.connect();
      const mine = client;
      let dropped = false;
      let checkTimer: NodeJS.Timeout | undefined;
      const drop = () => {
        if (dropped) return;
        dropped = true;
        clearInterval(checkTimer);
        if (dropListener === drop) dropListener = undefined;
        mine.release(true);
      };
      dropClient = drop;
      client.on('notification', (msg) => {
        const dueAt = Number(msg.payload);
        if (Number.isFinite(dueAt)) local.emit('due', dueAt);
      });
      /** A lost connection (PostgreSQL restarting, a silent one) must not crash us: listen again shortly. */
      const fail = (err: Error) => {
        if (dropped) return;
        onError(err);
        drop();
        scheduleRelisten();
      };
      client.on('error', fail);
      await client.query(`LISTEN ${CHANNEL}`);
      if (closed) return drop();
      dropListener = drop;
      checkTimer = setInterval(() => {
        // pg's own read timeout (its types leave the per-query option out).
        const probe: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: check.timeoutMs };
        mine.query(probe).catch((err: Error) =>
          fail(err.message === 'Query read timeout' ? new Error(`the LISTEN connection did not answer within ${check.timeoutMs} ms; listening again`) : err),
        );
      }, check.everyMs);
      checkTimer.unref();
      // Announcements made while we were not listening (start-up, or the connection lost and
      // listened again) are gone: tell the subscribers to look at the queue themselves.
      // 0 is "due since forever", which makes a scheduler claim what is due and re-arm its timer.
      local.emit('due', 0);
    } catch (err) {
      onError(err as Error);
      if (client) dropClient();
      scheduleRelisten();
    }
  };
  const scheduleRelisten = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      listening = listen();
    }, 1000);
    retryTimer.unref();
  };

  return {
    announce(dueAt) {
      if (pool) {
        // Our own LISTEN also receives it, which wakes the local scheduler.
        pool.query('SELECT pg_notify($1, $2)', [CHANNEL, String(dueAt)]).catch((err) => {
          onError(err);
          local.emit('due', dueAt);
        });
      } else {
        local.emit('due', dueAt);
      }
    },
    subscribe(fn) {
      if (pool && !listening) listening = listen();
      local.on('due', fn);
      return () => local.off('due', fn);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await listening?.catch(() => {});
      dropListener?.();
    },
  };
}
