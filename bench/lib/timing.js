// Waiting, bounded: every wait in the bench takes an AbortSignal so a scenario's time limit
// interrupts it.

export const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Polls `check` (async ok) until it returns a truthy value, which is returned. */
export async function waitUntil(check, { signal, intervalMs = 20, timeoutMs = 60_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(intervalMs, signal);
  }
}

/**
 * Runs `fn(signal)` with a time limit. On timeout the signal aborts (so the scenario's waits
 * throw and its `finally` cleans up) and we give it `graceMs` to settle before moving on anyway.
 */
export async function runBounded(label, timeoutMs, fn, graceMs = 20_000) {
  const ac = new AbortController();
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${label}: timed out after ${Math.round(timeoutMs / 1000)} s`);
      ac.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const work = fn(ac.signal);
  try {
    return await Promise.race([work, timedOut]);
  } catch (err) {
    if (ac.signal.aborted) await Promise.race([work.catch(() => {}), sleep(graceMs)]);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
