// Parent side of bench/receiver.js: forks it, waits until it listens, and asks it over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './cleanup.js';
import { waitUntil } from './timing.js';

const SCRIPT = fileURLToPath(new URL('../receiver.js', import.meta.url));

export async function startReceiver() {
  const child = fork(SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const release = track(`receiver pid ${child.pid}`, () => stopChild(child));
  const waiting = new Map();
  let nextId = 1;
  let exited = false;
  child.on('message', (msg) => {
    const resolve = waiting.get(msg?.id);
    if (resolve) {
      waiting.delete(msg.id);
      resolve(msg);
    }
  });
  child.on('exit', () => {
    exited = true;
    for (const resolve of waiting.values()) resolve(Promise.reject(new Error('the receiver exited')));
    waiting.clear();
  });

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the receiver did not start within 10 s')), 10_000);
    child.once('error', reject);
    child.on('message', function ready(msg) {
      if (msg?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', ready);
      resolve(msg.port);
    });
  }).catch(async (err) => {
    await release();
    throw err;
  });

  const ask = (type) => {
    if (exited) return Promise.reject(new Error('the receiver exited'));
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      child.send({ id, type });
    });
  };

  return {
    pid: child.pid,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    /** { received: distinct delivery ids, requests: all POSTs, unreadable } */
    count: () => ask('count'),
    /** { requests, unreadable, rows: [deliveryId, arrivedAt, scheduledFor][] } */
    dump: () => ask('dump'),
    reset: () => ask('reset'),
    /** Polls until `n` distinct deliveries have arrived. */
    waitForCount: async (n, options) => {
      let last = { received: 0 };
      try {
        await waitUntil(async () => (last = await ask('count')).received >= n, options);
      } catch (err) {
        throw new Error(`receiver has ${last.received} of ${n} deliveries: ${err.message}`);
      }
    },
    stop: release,
  };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
