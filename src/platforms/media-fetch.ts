import { request } from 'undici';
import type { PublishError } from '../core/retry-policy.js';
import { networkErrorCode } from './http-errors.js';

export interface FetchedImage {
  data: Buffer;
  mimeType: string;
}

/** Why an image could not be used; `error` is what the delivery records. */
export class MediaError extends Error {
  constructor(readonly error: PublishError) {
    super(error.message);
    this.name = 'MediaError';
  }
}

const SNIFFED: [string, (b: Buffer) => boolean][] = [
  ['image/jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['image/png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['image/gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
  ['image/webp', (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP'],
];

/**
 * Downloads a post's image to upload it to a network, within the network's size and type limits.
 * The type comes from the bytes (servers often say application/octet-stream). A missing image or
 * a wrong type is permanent (the post must change); an unreachable server is temporary.
 */
export async function fetchImage(
  url: string,
  limits: { maxBytes?: number | undefined; types?: string[] | undefined; platform: string },
  signal: AbortSignal,
): Promise<FetchedImage> {
  const maxBytes = limits.maxBytes ?? 20 * 1024 * 1024;
  let response;
  try {
    response = await request(url, { method: 'GET', signal, headers: { 'user-agent': 'Octopost/1' } });
  } catch (err) {
    throw new MediaError({
      code: 'media_unreachable',
      message: `Could not download the image ${url} (${networkErrorCode(err) ?? (err as Error).message}).`,
      permanent: false,
    });
  }
  if (response.statusCode >= 400) {
    await response.body.dump();
    throw new MediaError({
      code: 'media_unavailable',
      message: `The image ${url} answered ${response.statusCode}; fix or remove it, then retry.`,
      permanent: response.statusCode < 500,
    });
  }
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    await response.body.dump();
    throw tooLarge(url, declared, maxBytes, limits.platform);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.body.destroy();
      throw tooLarge(url, size, maxBytes, limits.platform);
    }
    chunks.push(chunk as Buffer);
  }
  const data = Buffer.concat(chunks);
  const mimeType = SNIFFED.find(([, test]) => test(data))?.[0];
  if (!mimeType || (limits.types && !limits.types.includes(mimeType))) {
    const accepted = (limits.types ?? SNIFFED.map(([t]) => t)).join(', ');
    throw new MediaError({
      code: 'media_type',
      message: `The image ${url} is ${mimeType ?? 'not a known image type'}; ${limits.platform} accepts ${accepted}.`,
      permanent: true,
    });
  }
  return { data, mimeType };
}

function tooLarge(url: string, size: number, max: number, platform: string): MediaError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new MediaError({
    code: 'media_too_large',
    message: `The image ${url} is ${mb(size)}; ${platform} accepts at most ${mb(max)}. Use a smaller image, then retry.`,
    permanent: true,
  });
}
