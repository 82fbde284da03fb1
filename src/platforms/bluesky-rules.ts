import { z } from 'zod';
import type { PlatformRules } from '../core/content-rules.js';

// What Octopost knows of Bluesky without loading @atproto/api (~50 MB of memory): its limits and
// its connect form. The adapter itself loads on first use (bluesky-lazy.ts).

export interface BlueskyPlatformOptions {
  /** The service accounts sign in to when they name none (Bluesky's entryway). */
  defaultService?: string;
  /** Where public post links point: `<appUrl>/profile/<handle>/post/<rkey>`. */
  appUrl?: string;
}

export const blueskyConnectSchema = z.strictObject({
  service: z.string().max(500).optional().describe('http(s) URL of a self-hosted PDS; default Bluesky (bsky.social)'),
  identifier: z.string().trim().min(1).max(253).describe('handle (alice.bsky.social) or the account email'),
  app_password: z.string().min(1).max(200).describe('an app password (Bluesky: Settings, Privacy and security, App passwords)'),
});
export type BlueskyInput = z.infer<typeof blueskyConnectSchema>;
/**
 * Limits from the app.bsky lexicons: app.bsky.feed.post text is at most 300 graphemes (and 3000
 * UTF-8 bytes); app.bsky.embed.images holds at most 4 images of `image/*`. The image lexicon now
 * allows 2 MB, "formerly limited to 1 MB", and PDSes still on older versions (such as 0.4.217,
 * which the tests run) refuse more than 1,000,000 bytes, so 1 MB is what works everywhere. The
 * app caps alt text at 2000 characters.
 */
export const BLUESKY_RULES: PlatformRules = {
  maxLength: 300,
  maxImages: 4,
  supportsSegments: true,
  counting: 'graphemes',
  maxImageBytes: 1_000_000,
  imageTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
  maxAltText: 2000,
  maxBytes: 3000,
};
