import { Redis } from "ioredis";
import { Redlock, type Semaphore as OurSemaphore } from "quorum-locks";
import { RedlockSemaphore, Semaphore } from "redis-semaphore";
import { versionOf } from "./versions.js";

/** One counting-semaphore implementation under benchmark, over the bench's nodes. */
export interface SemaphoreContender {
  readonly name: string;
  readonly version: string;
  /** The nodes it sends to: the waiting cost is counted per node on these. */
  readonly urls: readonly string[];
  /**
   * Takes one permit of the semaphore `key` (at most `limit` at once) for `ttl` ms, waiting with
   * the library's own mechanism for up to about `waitMs`; resolves with a function that releases it.
   */
  acquire(key: string, limit: number, ttl: number, waitMs: number): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type SemaphoreContenderFactory = (urls: readonly string[]) => Promise<SemaphoreContender>;

/** quorum-locks' `redlock.semaphore()` with the library's defaults, as the mutex contender. */
const quorumLocksSemaphore: SemaphoreContenderFactory = (urls) => {
  // The bench's nodes were started a moment ago: no restart quarantine.
  const redlock = new Redlock(urls, { retryCount: -1 });
  const semaphores = new Map<string, OurSemaphore>();
  return Promise.resolve({
    name: "quorum-locks",
    version: versionOf("quorum-locks"),
    urls,
    async acquire(key, limit, ttl, waitMs) {
      let sem = semaphores.get(key);
      if (sem === undefined) {
        sem = redlock.semaphore(key, { limit });
        semaphores.set(key, sem);
      }
      const permit = await sem.acquire(ttl, { timeout: waitMs });
      return () => permit.release();
    },
    close: () => redlock.quit(),
  });
};

// redis-semaphore on ioredis, its defaults but no refresh timer (the mutex contender's choice):
// it polls every retryInterval (default 10 ms) while the semaphore is full.
function redisSemaphoreWith(name: string, redlock: boolean): SemaphoreContenderFactory {
  return async (all) => {
    const urls = redlock ? all : all.slice(0, 1);
    const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
    await Promise.all(clients.map((c) => c.connect()));
    return {
      name,
      version: versionOf("redis-semaphore"),
      urls,
      async acquire(key, limit, ttl, waitMs) {
        const options = { lockTimeout: ttl, acquireTimeout: waitMs, refreshInterval: 0 };
        const sem = redlock
          ? new RedlockSemaphore(clients, key, limit, options)
          : new Semaphore(clients[0] as Redis, key, limit, options);
        await sem.acquire();
        return () => sem.release();
      },
      async close() {
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  };
}

/** Ours first; redis-semaphore's quorum variant, then its single-node one for reference. */
export const semaphoreContenders: Record<string, SemaphoreContenderFactory> = {
  "quorum-locks": quorumLocksSemaphore,
  "redis-semaphore RedlockSemaphore": redisSemaphoreWith("redis-semaphore RedlockSemaphore", true),
  "redis-semaphore Semaphore (1 node)": redisSemaphoreWith(
    "redis-semaphore Semaphore (1 node)",
    false,
  ),
};
