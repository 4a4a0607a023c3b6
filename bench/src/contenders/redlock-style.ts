import { Redis } from "ioredis";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

/** The part of node-redlock's API (and its forks') that the bench uses. */
export interface RedlockLike {
  on(event: "error", listener: () => void): unknown;
  acquire(resources: string[], ttl: number): Promise<{ release(): Promise<unknown> }>;
}

export type RedlockClass = new (clients: Redis[], options: { retryCount: number }) => RedlockLike;

/** A node-redlock-style library on ioredis, with its default retry settings. */
export function redlockStyle(name: string, pkg: string, Class: RedlockClass): ContenderFactory {
  return async (urls) => {
    const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
    await Promise.all(clients.map((c) => c.connect()));
    const redlock = new Class(clients, { retryCount: 1_000 });
    redlock.on("error", () => undefined);
    return {
      name,
      version: versionOf(pkg),
      async acquire(key, ttl) {
        const lock = await redlock.acquire([key], ttl);
        return async () => {
          await lock.release();
        };
      },
      async close() {
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  };
}
