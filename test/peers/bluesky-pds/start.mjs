// Starts a real atproto PDS (the reference implementation Bluesky runs) with an in-memory PLC
// directory, both on 127.0.0.1 and free ports, data in a temporary folder, invites off. Prints one
// JSON line `{"event":"ready","pdsUrl":...,"plcUrl":...}` when both answer, and stops (removing
// the data) on SIGTERM/SIGINT or when its parent closes stdin. Setup follows atproto's
// packages/dev-env (TestPlc, TestPds) and the PDS's own env -> config mapping (envToCfg,
// envToSecrets). Rate limits are off; the tests inject 429s through the fault proxy instead.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The PDS logs through pino on stdout; the parent only wants the ready line.
process.env.LOG_ENABLED ??= 'false';

const started = Date.now();
const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds');
const plc = await import('@did-plc/server');
const loadedMs = Date.now() - started;

const dataDir = mkdtempSync(join(tmpdir(), 'octopost-bluesky-pds-'));
const servers = [];

/** Listens an express app on 127.0.0.1 (the packages' own start() binds every interface). */
function listen(app, port) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.keepAliveTimeout = 90_000;
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
    servers.push(server);
  });
}

/** A free port, so the PDS knows its own URL (it is part of its config) before listening. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// PLC directory: where the PDS registers each new account's did:plc.
const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 });
const plcHttp = await listen(plcServer.app, 0);
const plcUrl = `http://127.0.0.1:${plcHttp.address().port}`;

// The PDS signs PLC operations with this secp256k1 key (hex of the private scalar).
const rotationKey = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' });
const port = await freePort();
const env = {
  port,
  hostname: 'localhost',
  devMode: true,
  version: '0.4.217',
  dataDirectory: dataDir,
  blobstoreDiskLocation: join(dataDir, 'blobs'),
  didPlcUrl: plcUrl,
  serviceHandleDomains: ['.test'],
  inviteRequired: false,
  rateLimitsEnabled: false,
  disableSsrfProtection: true,
  crawlers: [],
  trustedOAuthClients: [],
  handleBackupNameservers: [],
  rateLimitBypassIps: [],
  jwtSecret: randomBytes(16).toString('hex'),
  adminPassword: 'admin-pass',
  plcRotationKeyK256PrivateKeyHex: Buffer.from(rotationKey.d, 'base64url').toString('hex'),
};
const pds = await PDS.create(envToCfg(env), envToSecrets(env));
await pds.ctx.sequencer.start();
await listen(pds.app, port);
const pdsUrl = `http://127.0.0.1:${port}`;

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  for (const s of servers) s.closeAllConnections?.();
  await Promise.allSettled(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.allSettled([pds.ctx.sequencer.destroy(), pds.ctx.backgroundQueue.destroy()]);
  await pds.ctx.accountManager.close?.();
  await plcServer.ctx.db.close?.();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent keeps stdin open; when it dies without killing us, stdin ends and we stop too.
process.stdin.on('end', stop);
process.stdin.resume();

const ready = { event: 'ready', pdsUrl, plcUrl, adminPassword: env.adminPassword, loadedMs, startupMs: Date.now() - started };
process.stdout.write(`${JSON.stringify(ready)}\n`);
