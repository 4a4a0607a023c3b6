import { Redis } from "ioredis";
import { RedlockMutex } from "redis-semaphore";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

// redis-semaphore's RedlockMutex on ioredis; it polls every retryInterval (default 10 ms).
export const redisSemaphore: ContenderFactory = async (urls) => {
  const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  return {
    name: "redis-semaphore",
    version: versionOf("redis-semaphore"),
    async acquire(key, ttl, waitMs) {
      const mutex = new RedlockMutex(clients, key, {
        lockTimeout: ttl,
        acquireTimeout: waitMs,
        refreshInterval: 0,
      });
      await mutex.acquire();
      return () => mutex.release();
    },
    async close() {
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
};
