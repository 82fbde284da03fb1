// Issue 5: one post published now to X, Mastodon, Bluesky, LinkedIn and Threads at once, against
// the local peers the adapter tests use (test/peers: four servers that answer as each network's
// API reference says, and a real atproto PDS for Bluesky). Measures the time from
// PostService.publishNow until every delivery is recorded as published (text, one image, a
// 3-part thread), and what one post costs in requests on each network, counted by the peers.
//
// The peers are TypeScript and Node 20 cannot import .ts: each is transpiled (types stripped, no
// type check, so a type error elsewhere in the tree cannot stop the bench) into bench/.peers/.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../../dist/config.js';
import { createBlueskyPlatform } from '../../dist/platforms/bluesky.platform.js';
import { createLinkedInPlatform } from '../../dist/platforms/linkedin.platform.js';
import { createMastodonPlatform } from '../../dist/platforms/mastodon.platform.js';
import { PlatformRegistry } from '../../dist/platforms/registry.js';
import { createThreadsPlatform } from '../../dist/platforms/threads.platform.js';
import { webhookPlatform } from '../../dist/platforms/webhook.platform.js';
import { createXPlatform } from '../../dist/platforms/x.platform.js';
import { track } from '../lib/cleanup.js';
import { startOctopost } from '../lib/octopost.js';
import { max, percentile } from '../lib/stats.js';
import { waitUntil } from '../lib/timing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PEERS_SRC = path.join(ROOT, 'test/peers');
const PEERS_OUT = path.join(ROOT, 'bench/.peers');

/** Measured posts of each kind (after one warm-up post of that kind, not counted). */
const REPEATS = 20;
const NETWORKS = ['x', 'mastodon', 'bluesky', 'linkedin', 'threads'];
const FINISHED = new Set(['published', 'failed', 'unknown', 'cancelled']);

// App registrations the peers know (any values: the peers check that the adapters send them back).
const X_CLIENT = { id: 'T2N0b3Bvc3RCZW5jaENsaWVudDoxOmNp', secret: 'x-secret-for-the-bench' };
const LINKEDIN_CLIENT = { clientId: '86benchlinkedin', clientSecret: 'WPL_AP1.bench.secret' };
const THREADS_APP = { appId: '1234567890123456', appSecret: 'threads-bench-secret' };

export default {
  name: 'networks',
  title: 'publish now to X, Mastodon, Bluesky, LinkedIn and Threads at once (local peers)',
  // Installing the PDS peer (first run only) happens before the clock matters; starting it ~10 s.
  timeoutMs: 240_000,

  async run({ dialect, signal }) {
    const notes = [];
    const peers = await startPeers(notes);
    let octo;
    try {
      octo = await startApp(dialect, peers);
      const accounts = await connectAccounts(octo, peers);
      const all = Object.values(accounts);
      const threadable = Object.entries(accounts).filter(([n]) => n !== 'linkedin').map(([, id]) => id); // LinkedIn has no threads (422)
      const kinds = [
        { key: 'text', label: `text to ${all.length} networks`, accountIds: all, draft: (i) => ({ content: textOf(i) }) },
        {
          key: 'image',
          label: `1 image to ${all.length} networks`,
          accountIds: all,
          draft: (i) => ({ content: textOf(i), media: { images: [{ url: peers.images.url, alt_text: 'Red noise, the bench image' }] } }),
        },
        {
          key: 'thread',
          label: `3-part thread to ${threadable.length} networks`,
          accountIds: threadable,
          draft: (i) => ({ content: `${textOf(i)} (1/3)`, segments: [{ content: `Second part of thread ${i}, replying to the first. (2/3)` }, { content: `Third and last part of thread ${i}. (3/3)` }] }),
        },
      ];

      let serial = 0;
      const results = {};
      for (const kind of kinds) {
        const samples = [];
        for (let i = 0; i <= REPEATS; i++) {
          const sample = await publishOne(octo, peers, kind, serial++, signal);
          if (i > 0) samples.push(sample); // the first of each kind warms up connections and code paths
        }
        results[kind.key] = { label: kind.label, networks: kind.accountIds.length, samples };
      }

      const problems = Object.fromEntries(Object.entries(peers.networks).map(([n, p]) => [n, p.problems()]));
      const problemCount = Object.values(problems).reduce((n, list) => n + list.length, 0);
      const notPublished = Object.values(results).flatMap((r) => r.samples).reduce((n, s) => n + s.notPublished.length, 0);
      const present = NETWORKS.filter((n) => accounts[n]);

      const figures = [];
      for (const r of Object.values(results)) {
        const all = r.samples.map((s) => s.allMs).filter((v) => v !== null);
        figures.push(
          { figure: `${r.label}: all published, p50`, value: percentile(all, 50), unit: 'ms' },
          { figure: `${r.label}: all published, p99`, value: percentile(all, 99), unit: 'ms' },
          { figure: `${r.label}: all published, max`, value: max(all), unit: 'ms' },
          {
            figure: `${r.label}: each network, p50 (ms)`,
            value: present
              .filter((n) => r.samples.some((s) => s.perNetworkMs[n] !== undefined))
              .map((n) => `${n} ${Math.round(percentile(r.samples.map((s) => s.perNetworkMs[n]).filter((v) => v !== undefined), 50))}`)
              .join(', '),
            unit: '',
          },
        );
      }
      for (const n of present) {
        const cost = (key) => {
          const counts = results[key].samples.map((s) => s.requests[n]).filter((v) => v !== undefined);
          return counts.length ? typical(counts) : undefined;
        };
        const parts = [['text', 'text'], ['image', '1 image'], ['thread', '3-part thread']]
          .map(([key, label]) => (cost(key) === undefined ? `${label} -` : `${label} ${cost(key)}`))
          .join(' · ');
        figures.push({ figure: `requests per post: ${n}`, value: parts, unit: '' });
      }
      const downloads = results.image.samples.map((s) => s.imageDownloads);
      figures.push({
        figure: 'image downloads per 1-image post',
        value: `by Octopost ${typical(downloads.map((d) => d.octopost))} · by the Threads peer ${typical(downloads.map((d) => d.other))}`,
        unit: '',
      });
      figures.push({ figure: 'deliveries not published', value: notPublished, unit: '', goal: { op: '=', value: 0 } });
      figures.push({ figure: 'requests a peer refused as malformed', value: problemCount, unit: '', goal: { op: '=', value: 0 } });
      // Threads: a container whose image Threads is still fetching reads IN_PROGRESS, and the
      // adapter then waits its first poll interval (statusPollMs[0], 1 s) before reading again.
      const threadsPolls = results.image.samples.filter((s) => (s.routes.threads?.['GET /v1.0/:id'] ?? 0) > 2).length;
      if (threadsPolls) {
        notes.push(
          `networks: in ${threadsPolls} of ${REPEATS} image posts the Threads container was still IN_PROGRESS at the first status read, ` +
            "so the adapter waited its first poll interval (1 s): that wait, not Octopost's work, sets those posts' time.",
        );
      }
      if (!accounts.bluesky) figures.push({ figure: 'bluesky', value: `skipped: ${peers.blueskySkipped}`, unit: '' });

      return {
        figures,
        notes,
        details: {
          notes,
          repeats: REPEATS,
          networks: present,
          image: { bytes: peers.images.bytes, type: 'image/png', ...peers.images.size },
          bluesky: accounts.bluesky ? { pds: '@atproto/pds 0.4.217 (test/peers/bluesky-pds) behind its fault proxy', startupMs: peers.bluesky.peer.startupMs } : { skipped: peers.blueskySkipped },
          timings:
            'allMs: from the publishNow call until the last delivery of the post is recorded published (its published_at); perNetworkMs: the same for each delivery. ' +
            'Adapters run with their production settings (Threads reads a container status, then waits 1 s, 2 s... while it is IN_PROGRESS).',
          requestsCounted: 'requests each peer received while the post went out (image downloads excluded: see imageDownloads); routes by network in requestRoutes',
          results: Object.fromEntries(
            Object.entries(results).map(([key, r]) => [
              key,
              {
                label: r.label,
                allMs: r.samples.map((s) => s.allMs),
                perNetworkMs: Object.fromEntries(present.map((n) => [n, r.samples.map((s) => s.perNetworkMs[n]).filter((v) => v !== undefined)])),
                requests: Object.fromEntries(present.map((n) => [n, r.samples.map((s) => s.requests[n]).filter((v) => v !== undefined)])),
                requestRoutes: r.samples[0].routes,
                imageDownloads: r.samples.map((s) => s.imageDownloads),
                notPublished: r.samples.flatMap((s) => s.notPublished),
                publishNowCallMs: r.samples.map((s) => s.callMs),
              },
            ]),
          ),
          peerProblems: problems,
        },
      };
    } finally {
      await octo?.close();
      await peers.close();
    }
  },
};

/** A unique text (X and Mastodon refuse exact repeats) with a link and a hashtag (facets on Bluesky). */
const textOf = (i) => `Octopost bench post ${i}: the same words everywhere at once, with a link https://example.com/octopost/${i} and a #hashtag.`;

/** The most frequent value (a background request, such as a token refresh, shows as an outlier). */
function typical(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
}

/** Creates a draft to `kind.accountIds`, publishes it now, waits until every delivery is finished. */
async function publishOne(octo, peers, kind, i, signal) {
  const { app, userId } = octo;
  const post = await app.services.posts.create(userId, { accounts: kind.accountIds, ...kind.draft(i) });
  const before = snapshot(peers);
  peers.images.reset();
  const t0 = Date.now();
  const h0 = performance.now();
  await app.services.posts.publishNow(userId, post.id);
  const callMs = performance.now() - h0;
  const rows = await waitUntil(
    async () => {
      const found = await app.ctx.store.db
        .selectFrom('deliveries')
        .select(['platform', 'status', 'published_at', 'last_error'])
        .where('post_id', '=', post.id)
        .execute();
      return found.length === kind.accountIds.length && found.every((r) => FINISHED.has(r.status)) ? found : null;
    },
    { signal, intervalMs: 2, timeoutMs: 60_000, what: `every delivery of ${kind.key} post ${i} finished` },
  );
  const after = snapshot(peers);
  const notPublished = rows.filter((r) => r.status !== 'published').map((r) => ({ platform: r.platform, status: r.status, error: r.last_error }));
  const perNetworkMs = Object.fromEntries(rows.filter((r) => r.published_at !== null).map((r) => [r.platform, Number(r.published_at) - t0]));
  const requests = {};
  const routes = {};
  for (const [n, counts] of Object.entries(after)) {
    if (!rows.some((r) => r.platform === n)) continue;
    const diff = {};
    for (const [route, count] of counts) {
      const d = count - (before[n].get(route) ?? 0);
      if (d > 0) diff[route] = d;
    }
    routes[n] = diff;
    requests[n] = Object.values(diff).reduce((a, b) => a + b, 0);
  }
  return {
    // A post with a delivery that did not go out has no "all published" time (counted apart).
    allMs: notPublished.length ? null : max(Object.values(perNetworkMs)),
    perNetworkMs,
    callMs,
    requests,
    routes,
    notPublished,
    imageDownloads: { ...peers.images.counts },
  };
}

/** Requests each network's peer has received so far, by route (ids folded into `:id`). */
function snapshot(peers) {
  return Object.fromEntries(Object.entries(peers.networks).map(([n, p]) => [n, p.routes()]));
}

const fold = (pathname) =>
  pathname
    .split('/')
    .map((seg) => (/\d{4,}/.test(seg) || (seg.length >= 16 && /\d/.test(seg)) || seg.length > 32 ? ':id' : seg))
    .join('/');

function countBy(list) {
  const counts = new Map();
  for (const entry of list) {
    const [method, pathname = ''] = entry.split(' ');
    const key = `${method} ${fold(pathname)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Peers

/**
 * Transpiles test/peers/<rel>.ts to bench/.peers/<rel>.js (only when the source changed) and
 * imports it. `import.meta.url` is pointed at the source, so a peer finds the files beside it
 * (the PDS peer's start.mjs and its own node_modules).
 */
async function importPeer(ts, rel) {
  const source = path.join(PEERS_SRC, `${rel}.ts`);
  const out = path.join(PEERS_OUT, `${rel}.js`);
  const text = readFileSync(source, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(source).href));
  const { outputText } = ts.transpileModule(text, {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, useDefineForClassFields: true, sourceMap: false },
  });
  const stamp = `// Generated by bench/scenarios/networks.js from test/peers/${rel}.ts (sha256 ${createHash('sha256').update(text).digest('hex').slice(0, 16)}); do not edit.\n`;
  const js = stamp + outputText;
  if (!existsSync(out) || readFileSync(out, 'utf8') !== js) {
    mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, js);
    renameSync(tmp, out); // atomic: another bench importing it meanwhile sees the old or the new file
  }
  return import(pathToFileURL(out).href);
}

async function startPeers(notes) {
  const { default: ts } = await import('typescript');
  // The Bluesky fault proxy is written here, before peer.js (which imports it), and its PNG
  // encoder builds the bench image.
  const [{ XFake }, { MastodonFake }, { LinkedInFake }, { ThreadsFake }, { encodePng }] = await Promise.all(
    ['x-fake', 'mastodon-fake', 'linkedin-fake', 'threads-fake', 'bluesky-pds/fault-proxy'].map((rel) => importPeer(ts, rel)),
  );
  const releases = [];
  const close = async () => {
    for (const release of releases.reverse()) await release().catch(() => {});
  };
  try {
    const images = await startImageServer(encodePng);
    releases.push(track('image server (networks)', () => images.close()));
    const config = loadConfig({ OCTOPOST_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' }); // only for the public URL (OAuth callbacks)
    const callback = (p) => `${config.publicUrl}/v1/accounts/connect/${p}/callback`;
    const x = await new XFake({ id: X_CLIENT.id, secret: X_CLIENT.secret, callbackUrls: [callback('x')] }).start();
    releases.push(track('X peer (networks)', () => x.close()));
    const mastodon = await new MastodonFake().start();
    releases.push(track('Mastodon peer (networks)', () => mastodon.close()));
    const linkedin = await new LinkedInFake({ ...LINKEDIN_CLIENT }).start();
    releases.push(track('LinkedIn peer (networks)', () => linkedin.close()));
    const threads = await new ThreadsFake({ ...THREADS_APP }).start();
    releases.push(track('Threads peer (networks)', () => threads.close()));

    let bluesky;
    let blueskySkipped;
    try {
      const { BlueskyPeer } = await importPeer(ts, 'bluesky-pds/peer');
      const peer = await BlueskyPeer.start();
      releases.push(track('Bluesky PDS peer (networks)', () => peer.stop()));
      bluesky = { peer };
    } catch (err) {
      // The first line, and the first error line of the PDS's own output when it says more.
      const lines = String(err.message).split('\n');
      const cause = lines.slice(1).find((l) => /Error/.test(l));
      blueskySkipped = `the PDS peer (test/peers/bluesky-pds) did not start: ${lines[0]}${cause ? ` ${cause.trim()}` : ''}`.slice(0, 400);
      notes.push(`networks: Bluesky skipped, ${blueskySkipped}`);
    }

    const networks = {
      x: { routes: () => countBy(x.requests), problems: () => [...x.problems] },
      // Mastodon's peer keeps per-route counters, already folded (`/api/v1/media/:id`).
      mastodon: { routes: () => new Map(mastodon.counts), problems: () => [...mastodon.problems] },
      linkedin: { routes: () => countBy(linkedin.requests), problems: () => [...linkedin.problems] },
      threads: { routes: () => countBy(threads.requests), problems: () => [...threads.problems] },
    };
    if (bluesky) {
      const proxy = bluesky.peer.proxy;
      // Every XRPC call the proxy forwarded or answered (entries are nsids, or {nsid, status}).
      const nsid = (call) => (typeof call === 'string' ? call : call.nsid);
      networks.bluesky = { routes: () => countBy(proxy.calls.map((call) => `XRPC ${nsid(call)}`)), problems: () => [...proxy.problems] };
    }
    // Our accounts and the requests of the bench itself (connecting) are counted too, but only
    // differences across one post are reported.
    return { x, mastodon, linkedin, threads, bluesky, blueskySkipped, images, networks, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The user's image host: one PNG of red noise (about 240 KB, the size of a phone photo shrunk for
 * the web; noise so it does not compress). Counts downloads by Octopost (its user agent) and by
 * anyone else (Threads fetches the image itself).
 */
async function startImageServer(encodePng) {
  const png = noisePng(encodePng, 320, 256);
  const counts = { octopost: 0, other: 0 };
  const server = http.createServer((req, res) => {
    if (req.url !== '/bench.png') return res.writeHead(404).end();
    if (/^Octopost\//.test(req.headers['user-agent'] ?? '')) counts.octopost++;
    else counts.other++;
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/bench.png`,
    bytes: png.length,
    size: { width: 320, height: 256 },
    counts,
    reset() {
      counts.octopost = 0;
      counts.other = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Red noise, 8-bit RGB, PNG-encoded by the Bluesky fault proxy's `encodePng` (test/peers). */
function noisePng(encodePng, width, height) {
  let seed = 0x2545f491; // xorshift32: the same bytes every run
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 24) & 0xff;
  };
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = 200 + (random() % 56);
      row[2 + x * 3] = random();
      row[3 + x * 3] = random();
    }
    rows.push(row);
  }
  return encodePng(width, height, Buffer.concat(rows));
}

// ---------------------------------------------------------------------------------------------
// Octopost

/**
 * Octopost from dist/ on a fresh database with the worker on, its registry holding the five
 * adapters with their production settings, pointed at the peers (what config.networks does for
 * X, LinkedIn, Threads and Bluesky; Mastodon takes the instance from the account).
 */
function startApp(dialect, peers) {
  return startOctopost(dialect, 'networks', {
    worker: true,
    platforms: (config) => {
      const adapters = [
        webhookPlatform,
        createMastodonPlatform({ website: config.publicUrl }),
        createXPlatform({ clientId: X_CLIENT.id, clientSecret: X_CLIENT.secret, apiBaseUrl: peers.x.url, authorizeUrl: `${peers.x.url}/i/oauth2/authorize` }),
        createLinkedInPlatform({ ...LINKEDIN_CLIENT, apiBaseUrl: peers.linkedin.url, oauthBaseUrl: peers.linkedin.oauthBaseUrl }),
        createThreadsPlatform({ ...THREADS_APP, graphBaseUrl: peers.threads.url, authorizeUrl: `${peers.threads.url}/oauth/authorize` }),
      ];
      if (peers.bluesky) adapters.push(createBlueskyPlatform({ defaultService: peers.bluesky.peer.proxy.url }));
      return new PlatformRegistry(adapters);
    },
  });
}

/**
 * One account per network, connected as a person would: the OAuth ones through
 * app.services.oauth (start, the browser's part played here, then the callback, which stores the
 * account), Bluesky with a handle and an app password. Returns account ids by network.
 */
async function connectAccounts(octo, peers) {
  const { app, userId } = octo;
  const { oauth } = app.services;
  const ids = {};

  // X: x.com's consent page checks the client, callback and PKCE challenge, then issues a code.
  {
    const { authorizeUrl } = await oauth.start(userId, 'x', {});
    const approved = peers.x.approve(authorizeUrl);
    ids.x = (await oauth.finish('x', { code: approved.code, state: approved.state })).account.id;
  }
  // Mastodon: the app is registered on the instance at start; the person approves there.
  {
    const { authorizeUrl } = await oauth.start(userId, 'mastodon', { instance: peers.mastodon.url });
    const approved = peers.mastodon.approve(authorizeUrl);
    ids.mastodon = (await oauth.finish('mastodon', { code: approved.code, state: approved.state })).account.id;
  }
  // LinkedIn and Threads: their authorize pages consent at once and redirect back with the code.
  for (const platform of ['linkedin', 'threads']) {
    const { authorizeUrl } = await oauth.start(userId, platform, {});
    const consent = await fetch(authorizeUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location') ?? '', 'http://invalid');
    if (consent.status !== 302 || !back.searchParams.get('code')) throw new Error(`${platform} consent answered ${consent.status}: ${await consent.text()}`);
    ids[platform] = (await oauth.finish(platform, { code: back.searchParams.get('code'), state: back.searchParams.get('state') })).account.id;
  }
  if (peers.bluesky) {
    const account = await peers.bluesky.peer.createAccount('Octopost Bench');
    ids.bluesky = (await app.services.accounts.connect(userId, { platform: 'bluesky', identifier: account.handle, app_password: account.appPassword })).account.id;
  }
  // In the order of NETWORKS, so rows come out the same every run.
  return Object.fromEntries(NETWORKS.filter((n) => ids[n]).map((n) => [n, ids[n]]));
}
