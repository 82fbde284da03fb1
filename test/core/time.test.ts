import { describe, expect, it } from 'vitest';
import { parseDuration, parseDurationList, parseInstant, toIso } from '../../src/core/time.js';
import { loadConfig } from '../../src/config.js';
import { newId } from '../../src/core/ids.js';
import { checkContent, countCharacters } from '../../src/core/content-rules.js';

describe('durations and configuration', () => {
  it('parses ms, s, m, h and lists of them', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDurationList('1m,5m,15m')).toEqual([60_000, 300_000, 900_000]);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('reads the environment with the documented defaults and names a bad variable', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', sweepIntervalMs: 60_000, retryDelaysMs: [60_000, 300_000, 900_000], publishTimeoutMs: 30_000, rateLimitPerMinute: 1000, blockPrivateUrls: false });
    expect(loadConfig({ OCTOPOST_RETRY_DELAYS: '1s,2s' }).retryDelaysMs).toEqual([1000, 2000]);
    expect(() => loadConfig({ OCTOPOST_PUBLISH_TIMEOUT: 'forever', PORT: 'x' })).toThrow(/PORT[\s\S]*OCTOPOST_PUBLISH_TIMEOUT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it("takes a worker's metrics port, and builds the public URL of an IPv6 host in brackets", () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ OCTOPOST_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(loadConfig({ OCTOPOST_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(() => loadConfig({ OCTOPOST_METRICS_PORT: '70000' })).toThrow(/OCTOPOST_METRICS_PORT: "70000" is not a port number/);
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ HOST: '::' }).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ HOST: '0.0.0.0' }).publicUrl).toBe('http://localhost:3000');
  });
});

describe('parseInstant', () => {
  it('refuses calendar fields that do not exist, in any case and year, and reads the rest as Date.parse does', () => {
    for (const [text, reason] of [
      ['2027-02-29T10:00:00Z', 'February 2027 has 28 days'],
      ['2027-02-30t10:00:00z', 'February 2027 has 28 days'],
      ['1900-02-29T00:00:00Z', 'February 1900 has 28 days'],
      ['0100-02-29T00:00:00Z', 'February 0100 has 28 days'],
      ['2027-06-31T00:00:00+02:00', 'June 2027 has 30 days'],
      ['2027-03-14T24:00:00Z', 'hours go from 00 to 23'],
    ]) {
      expect(parseInstant(text), text).toBe(`"${text}" is not a valid date and time: ${reason}.`);
    }
    for (const text of ['2000-02-29T00:00:00Z', '0000-02-29T00:00:00Z', '2024-02-29t23:59:59.999z', '2027-12-31T23:00:00-05:00']) {
      expect(parseInstant(text), text).toBe(Date.parse(text));
    }
  });
});

describe('toIso', () => {
  it('writes every instant exactly as Date#toISOString does, and null for none', () => {
    const DAY = 86_400_000;
    const edges = [0, 1, 999, 1000, DAY - 1, DAY, 951_782_400_000 /* 2000-02-29 */, 1_774_000_000_123, 253_402_300_799_999];
    // Spread over 1970-9999, then a few hundred within one month: most reuse a cached day.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const spread = Array.from({ length: 2000 }, () => Math.floor(next() * 253_402_300_800_000));
    const month = Array.from({ length: 500 }, () => 1_761_955_200_000 + Math.floor(next() * 30 * DAY));
    for (const ms of [...edges, ...spread, ...month, ...month]) expect(toIso(ms)).toBe(new Date(ms).toISOString());
    // Outside four-digit years and fractional ms: whatever Date writes (an extended year, say).
    for (const ms of [-1, -DAY * 400, 253_402_300_800_000, 8.64e15, 1.5]) expect(toIso(ms)).toBe(new Date(ms).toISOString());
    expect(toIso(null)).toBeNull();
    expect(toIso(undefined)).toBeNull();
  });
});

describe('ids', () => {
  it('are prefixed and sort by creation time', () => {
    const a = newId('post', 1_000);
    const b = newId('post', 2_000);
    expect(a).toMatch(/^post_[0-9a-z]{26}$/);
    expect(a < b).toBe(true);
  });
});

describe('content rules', () => {
  const rules = { maxLength: 10, maxImages: 1, supportsSegments: false };
  it('counts graphemes, not UTF-16 units', () => {
    expect(countCharacters('👩‍👩‍👧‍👦é')).toBe(2);
  });
  it('names the platform, the limit and the count', () => {
    const problems = checkContent('x', rules, { content: 'a'.repeat(11), segments: [{ content: 'b' }], media: { images: [{ url: 'u' }, { url: 'v' }] } });
    expect(problems).toEqual([
      expect.objectContaining({ platform: 'x', field: 'content', limit: 10, count: 11 }),
      expect.objectContaining({ field: 'segments' }),
      expect.objectContaining({ field: 'media.images', limit: 1, count: 2 }),
    ]);
  });
});
