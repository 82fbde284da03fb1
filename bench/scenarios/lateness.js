// Scenario 1: posts due one at a time, at 10, 100 and 1,000 a second (lateness@<rate>/s): `count`
// posts scheduled 1000/rate ms apart from ~2 s ahead, created through the post service (which
// announces each due moment to the scheduler, as the API does). Lateness = the receiver's arrival
// time minus the post's scheduled_for. graphile-lateness@<rate>/s (graphile.js) uses the same
// rates and counts for graphile-worker's jobs with a future run_at.
//
// All posts must exist before the first is due, or we would measure the setup. On a busy machine
// creating them can take more than 2 s, so 20 calibration posts (due in an hour, never reached)
// time the creation first, and the lead grows to 1.5x the projected setup when needed.
import { connectWebhooks, startOctopost } from '../lib/octopost.js';
import { startReceiver } from '../lib/receiver-client.js';
import { max, min, percentile } from '../lib/stats.js';

const MIN_LEAD_MS = 2000;
const CALIBRATION_POSTS = 20;

/** Rates (due per second) and how many posts (or jobs) each: at least 100 samples, at most ~10 s. */
export const LATENESS_RATES = [
  { rate: 10, count: 100 },
  { rate: 100, count: 500 },
  { rate: 1000, count: 1000 },
];

// Goals: p99 < 50 ms at 100/s (issue 6); p50 < 20 ms and p99 < 100 ms (the earlier goal) elsewhere.
const P99_GOAL = { 100: 50 };

export const latenessScenarios = LATENESS_RATES.map(({ rate, count }) => latenessScenario(rate, count));

function latenessScenario(rate, POSTS) {
  const SPACING_MS = 1000 / rate;
  return {
    name: `lateness@${rate}/s`,
    title: `${POSTS} posts due one at a time, ${rate}/s`,
    timeoutMs: 60_000,

    async run({ dialect, signal }) {
      const receiver = await startReceiver();
      let octo;
      try {
        octo = await startOctopost(dialect, 'lateness', { worker: true });
        const [account] = await connectWebhooks(octo, [receiver.url('/hook')]);

        const create = (content, at) =>
          octo.app.services.posts.create(octo.userId, { content, accounts: [account], scheduled_for: new Date(at).toISOString() });

        const calibrationStart = Date.now();
        for (let i = 0; i < CALIBRATION_POSTS; i++) await create(`Calibration ${i}`, Date.now() + 3_600_000);
        const perPostMs = (Date.now() - calibrationStart) / CALIBRATION_POSTS;
        const leadMs = Math.max(MIN_LEAD_MS, Math.ceil(1.5 * perPostMs * POSTS));

        const setupStart = Date.now();
        const firstDue = setupStart + leadMs;
        for (let i = 0; i < POSTS; i++) await create(`Lateness probe ${i}`, Math.round(firstDue + i * SPACING_MS));
        const setupMs = Date.now() - setupStart;
        // Still too slow (the machine got busier): the first posts were late before the scheduler
        // could know them, and the figures would measure the setup. Refuse them.
        if (setupMs > leadMs) throw new Error(`creating ${POSTS} posts took ${setupMs} ms, longer than the ${leadMs} ms lead`);

        const lastDue = firstDue + (POSTS - 1) * SPACING_MS;
        // Only the probes reach the receiver: the calibration posts are due in an hour.
        await receiver.waitForCount(POSTS, { signal, timeoutMs: lastDue - Date.now() + 10_000 });
        const { rows, requests } = await receiver.dump();
        const late = rows.map(([, arrivedAt, scheduledFor]) => arrivedAt - scheduledFor);

        return {
          figures: [
            { figure: 'lateness p50', value: percentile(late, 50), unit: 'ms', goal: { op: '<', value: 20 } },
            { figure: 'lateness p99', value: percentile(late, 99), unit: 'ms', goal: { op: '<', value: P99_GOAL[rate] ?? 100 } },
            { figure: 'lateness max', value: max(late), unit: 'ms' },
            // Negative would mean a post went out before its time.
            { figure: 'earliest arrival vs due', value: min(late), unit: 'ms', goal: { op: '>=', value: 0 } },
            { figure: 'duplicate deliveries', value: requests - rows.length, unit: '', goal: { op: '=', value: 0 } },
          ],
          details: { posts: POSTS, rate, spacingMs: SPACING_MS, leadMs, setupMs, lateness: late },
        };
      } finally {
        await octo?.close();
        await receiver.stop();
      }
    },
  };
}
