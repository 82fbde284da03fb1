import type { Config } from '../config.js';
import { createLazyBlueskyPlatform } from './bluesky-lazy.js';
import { createLinkedInPlatform } from './linkedin.platform.js';
import { createMastodonPlatform } from './mastodon.platform.js';
import type { PlatformAdapter } from './platform.js';
import { createThreadsPlatform } from './threads.platform.js';
import { webhookPlatform } from './webhook.platform.js';
import { createXPlatform } from './x.platform.js';

/** The networks this build can publish to, by name. Tests may register extra adapters. */
export class PlatformRegistry {
  private readonly adapters = new Map<string, PlatformAdapter<any>>();

  constructor(adapters: PlatformAdapter<any>[] = [webhookPlatform]) {
    for (const a of adapters) this.register(a);
  }

  register(adapter: PlatformAdapter<any>): void {
    this.adapters.set(adapter.name, adapter);
  }

  get(name: string): PlatformAdapter<any> | undefined {
    return this.adapters.get(name);
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }
}

/** Every network, configured from the environment (client ids, and base URLs for local test peers). */
export function createPlatformRegistry(config: Pick<Config, 'publicUrl' | 'networks'>): PlatformRegistry {
  const { x, linkedin, threads, bluesky } = config.networks;
  return new PlatformRegistry([
    webhookPlatform,
    createLazyBlueskyPlatform({ defaultService: bluesky.service }),
    createMastodonPlatform({ website: config.publicUrl }),
    createXPlatform({ clientId: x.clientId, clientSecret: x.clientSecret, apiBaseUrl: x.apiUrl, authorizeUrl: x.authorizeUrl }),
    createLinkedInPlatform({ clientId: linkedin.clientId, clientSecret: linkedin.clientSecret, apiBaseUrl: linkedin.apiUrl, oauthBaseUrl: linkedin.oauthUrl }),
    createThreadsPlatform({ appId: threads.appId, appSecret: threads.appSecret, graphBaseUrl: threads.apiUrl, authorizeUrl: threads.authorizeUrl }),
  ]);
}
