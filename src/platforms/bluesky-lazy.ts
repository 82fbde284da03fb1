import type { BlueskyAdapter } from './bluesky.platform.js';
import { BLUESKY_RULES, type BlueskyInput, type BlueskyPlatformOptions, blueskyConnectSchema } from './bluesky-rules.js';
import type { PlatformAdapter } from './platform.js';

/**
 * Bluesky, loaded on first use: @atproto/api adds ~50 MB to a process's memory, which a server
 * with no Bluesky account should not pay. Rules and the connect form are known up front.
 */
export function createLazyBlueskyPlatform(options: BlueskyPlatformOptions = {}): PlatformAdapter<BlueskyInput> {
  let adapter: Promise<BlueskyAdapter> | undefined;
  const load = () => (adapter ??= import('./bluesky.platform.js').then((m) => m.createBlueskyPlatform(options)));
  return {
    name: 'bluesky',
    rules: BLUESKY_RULES,
    deduplicates: true,
    connectSchema: blueskyConnectSchema,
    connect: async (input, ctx) => (await load()).connect(input, ctx),
    publish: async (request) => (await load()).publish(request),
    refresh: async (credentials, meta, signal) => (await load()).refresh(credentials, meta, signal),
  };
}
