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

export function createDueNotifier(store: Store, onError: (err: Error) => void = () => {}): DueNotifier {
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
      const drop = () => {
        if (dropped) return;
        dropped = true;
        if (dropListener === drop) dropListener = undefined;
        mine.release(true);
      };
      dropClient = drop;
      client.on('notification', (msg) => {
        const dueAt = Number(msg.payload);
        if (Number.isFinite(dueAt)) local.emit('due', dueAt);
      });
      // A lost connection (PostgreSQL restarting) must not crash us: listen again shortly.
      client.on('error', (err) => {
        onError(err);
        drop();
        scheduleRelisten();
      });
      await client.query(`LISTEN ${CHANNEL}`);
      if (closed) return drop();
      dropListener = drop;
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
