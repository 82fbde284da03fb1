import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Prefixed, time-ordered ids (`post_01h...`): 10 characters of milliseconds then 16 random ones,
 * so ids sort by creation time, which keeps cursor pagination stable without a second key.
 */
export function newId(prefix: string, nowMs = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[nextRandomByte() % 32];
  return `${prefix}_${time}${rand}`;
}

export const ID_PREFIX = {
  post: 'post',
  account: 'acc',
  preset: 'preset',
  systemPreset: 'preset_sys',
  delivery: 'dlv',
  webhook: 'wh',
  event: 'evt',
  user: 'usr',
  apiKey: 'key',
} as const;

// One crypto call per 256 ids instead of one per id: ids are made per delivery.
let pool = Buffer.alloc(0);
let offset = 0;
function nextRandomByte(): number {
  if (offset >= pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  return pool[offset++]!;
}
