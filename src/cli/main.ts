import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { type App, createApp } from '../app.js';
import { httpOrigin, loadConfig } from '../config.js';
import { DomainError } from '../core/errors.js';
import { POST_STATUSES, type PostStatus } from '../core/statuses.js';
import { migrateToLatest, openStore } from '../store/database.js';
import { startMetricsServer } from './metrics-server.js';

const program = new Command()
  .name('octopost')
  .description('Schedule and publish posts to every network. Configuration comes from the environment (see README).')
  .showHelpAfterError();

program
  .command('serve')
  .description('Run the web app, the REST API and (unless --no-worker) the scheduler')
  .option('--no-worker', 'API and web only; run `octopost worker` elsewhere')
  .action(async (opts: { worker: boolean }) => {
    const config = loadConfig();
    const app = await createApp(config, { worker: opts.worker });
    // Loaded here, not at the top: the HTTP stack is ~0.75 s of imports the other commands skip.
    const { buildServer } = await import('../api/server.js');
    const server = await buildServer(app);
    await server.listen({ port: config.port, host: config.host });
    const where = httpOrigin(config.host, (server.server.address() as { port: number }).port);
    app.ctx.logger.info({ url: where, database: app.ctx.store.dialect, worker: opts.worker }, `Octopost is listening on ${where}`);
    onShutdown(app, async () => {
      await server.close();
    });
  });

program
  .command('worker')
  .description('Run only the scheduler (for PostgreSQL deployments with several nodes)')
  .action(async () => {
    const config = loadConfig();
    const app = await createApp(config, { worker: true });
    const metrics = config.metricsPort === undefined ? 'off' : await startMetricsServer(app, config.host, config.metricsPort).catch(async (err: Error) => {
      await app.close();
      throw new Error(`OCTOPOST_METRICS_PORT: cannot listen on ${httpOrigin(config.host, config.metricsPort!)} (${err.message})`);
    });
    app.ctx.logger.info({ worker: app.scheduler?.workerId, database: app.ctx.store.dialect, metrics }, 'Octopost worker started');
    onShutdown(app, async () => {});
  });

program
  .command('migrate')
  .description('Bring the database schema up to date (serve and worker also do this at start)')
  .action(async () => {
    const config = loadConfig();
    const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const applied = await migrateToLatest(store);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
    } finally {
      await store.close();
    }
  });

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description("Create an API key for the instance's owner; the key is printed once, alone on the last line")
  .requiredOption('--name <name>', 'a name to recognise the key by')
  .option('--scopes <list>', 'comma-separated scopes (default: full access)', (v) => v.split(',').map((s) => s.trim()).filter(Boolean), [] as string[])
  .action(async (opts: { name: string; scopes: string[] }) => {
    await withApp(async (app) => {
      const owner = await app.services.users.ensureOwner();
      const { key, record } = await app.services.users.createApiKey(owner.id, opts.name, opts.scopes);
      console.log(`Created API key "${record.name}" (${record.id}), scopes: ${record.scopes.length ? record.scopes.join(', ') : 'all'}.`);
      console.log('Store it now: it will not be shown again.');
      console.log(key);
    });
  });

const posts = program.command('posts').description('Posts');
posts
  .command('list')
  .description("List the owner's posts, newest first")
  .addOption(new Option('--status <status...>', 'only these statuses').choices([...POST_STATUSES]))
  .option('--limit <n>', 'how many (at most 500)', parseLimit, 20)
  .option('--json', 'print JSON lines instead of a table')
  .action(async (opts: { status?: PostStatus[]; limit: number; json?: boolean }) => {
    await withApp(async (app) => {
      const owner = await app.services.users.ensureOwner();
      const { views } = await app.services.postQueries.list(owner.id, { statuses: opts.status, limit: opts.limit });
      if (opts.json) {
        for (const v of views) console.log(JSON.stringify({ id: v.post.id, status: v.post.status, scheduled_for: v.post.scheduledFor && new Date(v.post.scheduledFor).toISOString(), content: v.post.content }));
        return;
      }
      if (views.length === 0) return console.log('No posts.');
      for (const v of views) {
        const when = v.post.scheduledFor ?? v.post.publishedAt;
        const time = when ? new Date(when).toISOString().slice(0, 16).replace('T', ' ') + 'Z' : '-'.padEnd(17);
        const text = v.post.content.replace(/\s+/g, ' ');
        console.log(`${v.post.id}  ${v.post.status.padEnd(16)}  ${time}  ${text.length > 50 ? `${text.slice(0, 49)}…` : text}`);
      }
    });
  });

program
  .command('import')
  .description('Import posts from a CSV file (format: docs/csv-import.md); all rows or none')
  .argument('<file>', 'the CSV file')
  .option('--dry-run', 'check every row and show what would happen; write nothing')
  .option('--timezone <zone>', 'zone of local times in the file (default: your setting, else UTC)')
  .action(async (file: string, opts: { dryRun?: boolean; timezone?: string }) => {
    const csv = await readFile(file, 'utf8').catch((err: Error) => {
      throw new Error(`Cannot read ${file}: ${err.message}`);
    });
    await withApp(async (app) => {
      const owner = await app.services.users.ensureOwner();
      const progress = progressLine();
      const report = await app.services.imports.run(owner.id, csv, { dryRun: opts.dryRun ?? false, timezone: opts.timezone, onProgress: progress.update });
      progress.done();
      for (const e of report.errors) console.error(`line ${e.line}: ${e.field}: ${e.message}`);
      if (report.errors.length) {
        console.error(`${report.errors.length} problem(s) in ${file}; nothing was imported.`);
        process.exitCode = 1;
        return;
      }
      const queued = report.rows.filter((r) => r.queued).length;
      const adjusted = report.rows.filter((r) => r.adjusted);
      for (const r of adjusted) console.log(`line ${r.line}: ${r.reason}`);
      console.log(
        report.dryRun
          ? `Dry run: all ${report.rows.length} rows are fine (${queued} would go to the queue). Nothing was written.`
          : `Imported ${report.imported} posts (${queued} placed in the queue).`,
      );
    });
  });

/** A progress line on stderr when it is a terminal (long files take a few seconds). */
function progressLine() {
  const tty = process.stderr.isTTY;
  let last = '';
  return {
    update: (phase: string, done: number, total: number) => {
      if (!tty || total < 500) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const line = `${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
      if (line !== last) process.stderr.write(`\r${line}`);
      last = line;
    },
    done: () => {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('a whole number from 1 to 500');
  return n;
}

async function withApp(fn: (app: App) => Promise<void>): Promise<void> {
  const app = await createApp(loadConfig(), { logger: pino({ level: 'warn' }) });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

/** SIGTERM/SIGINT: finish in-flight publishing (graceful), forced after 10 s; a second signal exits at once. */
function onShutdown(app: App, closeServer: () => Promise<void>) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    app.ctx.logger.info({ signal, inFlight: app.scheduler?.inFlightCount ?? 0 }, 'shutting down');
    try {
      await closeServer();
      await app.close();
      process.exit(0);
    } catch (err) {
      app.ctx.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof DomainError) console.error(`Error: ${err.message}`);
    else console.error(`Error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
