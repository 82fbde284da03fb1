import type { PlatformAdapter } from './platform.js';
import { webhookPlatform } from './webhook.platform.js';

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
