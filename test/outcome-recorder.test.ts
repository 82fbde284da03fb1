import { describe, expect, it } from 'vitest';
import { OutcomeRecorder } from '../src/scheduler/outcome-recorder.js';
import type { OutcomeEntry } from '../src/store/queue.repository.js';

// The recorder's batching alone: `write` stands in for the database and notes each batch.
function recorder(options: { moreComing: boolean; minBatch: number; maxWaitMs?: number }) {
  const batches: number[][] = [];
  const written: number[] = []; // ms after the first record() when each batch was written
  const started = performance.now();
  const r = new OutcomeRecorder({
    write: async (entries) => {
      batches.push(entries.map((e) => e.attempt.startedAt));
      written.push(performance.now() - started);
      return entries.map((e) => e.attempt.startedAt % 2 === 0); // even ones "kept"
    },
    moreComing: () => options.moreComing,
    minBatch: options.minBatch,
    ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
  });
  const entry = (n: number) => ({ attempt: { startedAt: n } }) as unknown as OutcomeEntry;
  return { r, batches, written, entry };
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OutcomeRecorder', () => {
  it('writes an outcome at once when no other attempt is running', async () => {
    const { r, batches, written, entry } = recorder({ moreComing: false, minBatch: 64, maxWaitMs: 200 });
    expect(await r.record(entry(2))).toBe(true);
    expect(batches).toEqual([[2]]);
    expect(written[0]).toBeLessThan(100); // not held for the 200 ms a batch may wait
  });

  it('while attempts run, gathers a small batch until it is full', async () => {
    const { r, batches, entry } = recorder({ moreComing: true, minBatch: 3, maxWaitMs: 10_000 });
    const first = r.record(entry(1));
    await pause(20);
    const second = r.record(entry(2));
    await pause(20);
    expect(batches).toEqual([]); // still gathering: 2 of 3
    const third = r.record(entry(4));
    expect(await Promise.all([first, second, third])).toEqual([false, true, true]);
    expect(batches).toEqual([[1, 2, 4]]);
  });

  it('writes what it has once the wait is over, and takes what came meanwhile in the next batch', async () => {
    const { r, batches, written, entry } = recorder({ moreComing: true, minBatch: 100, maxWaitMs: 30 });
    const first = r.record(entry(1));
    await pause(5);
    const second = r.record(entry(3));
    await Promise.all([first, second]);
    expect(batches).toEqual([[1, 3]]);
    expect(written[0]).toBeGreaterThanOrEqual(25);
    await r.record(entry(5));
    expect(batches).toEqual([[1, 3], [5]]);
    await r.idle();
  });

  it('fails the whole batch when the write fails, and goes on with the next', async () => {
    let fail = true;
    const r = new OutcomeRecorder({
      write: async (entries) => {
        if (fail) throw new Error('database away');
        return entries.map(() => true);
      },
      moreComing: () => false,
      minBatch: 1,
    });
    const entry = {} as OutcomeEntry;
    await expect(r.record(entry)).rejects.toThrow('database away');
    fail = false;
    await expect(r.record(entry)).resolves.toBe(true);
  });
});
