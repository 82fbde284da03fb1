#!/usr/bin/env node
// The `octopost` command. The TypeScript is compiled to dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('Octopost is not built yet: run `npm install` (or `npm run build`) in its folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
