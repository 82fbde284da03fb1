import { createHash } from 'node:crypto';

/**
 * Record keys chosen by Octopost, so a repeated attempt writes to the same key and a look-up at
 * that key tells whether an earlier attempt already posted (no double posts).
 *
 * A post's key must be a TID (atproto.com/specs/tid): 13 characters of base32-sortable encoding a
 * 64-bit number, top bit 0, then 53 bits of microseconds since 1970 and 10 bits of "clock id".
 * Ours is derived from the delivery id and the part index only: the microseconds are the
 * delivery's creation time (Octopost ids start with it) minus up to ~71 minutes taken from a hash,
 * and the clock id comes from the same hash. Deliveries created in the same millisecond (a bulk
 * import) therefore still differ in 42 hashed bits; keys lie in the past, never in the future.
 */
const S32 = '234567abcdefghijklmnopqrstuvwxyz';
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const OCTOPOST_ID = /_([0-9a-hjkmnp-tv-z]{10})[0-9a-hjkmnp-tv-z]{16}$/;
/** For ids not made by Octopost's `newId` (tests, imports): a fixed, plausible base time. */
const FALLBACK_MS = Date.UTC(2024, 0, 1);
const EARLIEST_MS = Date.UTC(2020, 0, 1);

export function recordKeyFor(deliveryId: string, part: number): string {
  const digest = createHash('sha256').update(`${deliveryId}:${part}`).digest();
  const offset = BigInt(digest.readUInt32BE(0));
  const clockId = BigInt(digest.readUInt16BE(4) & 0x3ff);
  const micros = BigInt(idTimeMs(deliveryId)) * 1000n - offset;
  let value = (micros << 10n) | clockId;
  let key = '';
  for (let i = 0; i < 13; i++) {
    key = S32[Number(value & 31n)]! + key;
    value >>= 5n;
  }
  return key;
}

function idTimeMs(id: string): number {
  const match = OCTOPOST_ID.exec(id);
  if (!match) return FALLBACK_MS;
  let ms = 0;
  for (const ch of match[1]!) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms >= EARLIEST_MS && ms <= Date.now() + 86_400_000 ? ms : FALLBACK_MS;
}

/** The last segment of an at:// URI: the record key. */
export function rkeyOf(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/**
 * Width and height read from an image's header, for the embed's optional `aspectRatio` (the app
 * then shows the image uncropped before it loads). Undefined when the format is not recognised.
 */
export function imageSize(data: Buffer, mimeType: string): { width: number; height: number } | undefined {
  try {
    const size = readSize(data, mimeType);
    return size && size.width > 0 && size.height > 0 ? size : undefined;
  } catch {
    return undefined; // a truncated header: the aspect ratio is optional
  }
}

function readSize(b: Buffer, mimeType: string): { width: number; height: number } | undefined {
  switch (mimeType) {
    case 'image/png':
      return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    case 'image/gif':
      return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
    case 'image/webp': {
      const chunk = b.toString('latin1', 12, 16);
      if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
      if (chunk === 'VP8L') {
        const bits = b.readUInt32LE(21);
        return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
      }
      if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
      return undefined;
    }
    case 'image/jpeg': {
      // Walk the segments up to a start-of-frame marker (SOF0..SOF15 except DHT, JPG, DAC).
      let at = 2;
      while (at + 9 < b.length) {
        if (b[at] !== 0xff) return undefined;
        const marker = b[at + 1]!;
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
        }
        at += 2 + b.readUInt16BE(at + 2);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
