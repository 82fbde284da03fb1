import { afterEach, beforeEach } from 'vitest';
import type { DialectName } from './databases.js';
import { FakeClock } from './fake-clock.js';
import { Receiver } from './receiver.js';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/**
 * Per-test set-up for the in-process suites (call inside a describe): an Octopost with its worker
 * on a fresh database, a fake clock, and a webhook receiver. The receiver stops first afterwards,
 * so that an attempt left hanging on it ends before the scheduler does.
 */
export interface ReceiverApp {
  readonly t: TestApp;
  readonly clock: FakeClock;
  readonly receiver: Receiver;
  /** Moves the clock and waits until everything then due is recorded. */
  tick(ms: number): Promise<void>;
}

export function useReceiverApp(dialect: DialectName, options: Omit<TestAppOptions, 'clock' | 'worker'> = {}): ReceiverApp {
  let current: { t: TestApp; clock: FakeClock; receiver: Receiver } | undefined;
  beforeEach(async () => {
    const clock = new FakeClock();
    const receiver = await new Receiver().start();
    current = { clock, receiver, t: await createTestApp(dialect, { ...options, clock, worker: true }) };
  });
  afterEach(async () => {
    await current?.receiver.stop();
    await current?.t.close();
    current = undefined;
  });
  const now = () => {
    if (!current) throw new Error('receiver app: used outside a test');
    return current;
  };
  return {
    get t() { return now().t; },
    get clock() { return now().clock; },
    get receiver() { return now().receiver; },
    async tick(ms) {
      now().clock.advance(ms);
      await now().t.app.scheduler!.drain();
    },
  };
}
