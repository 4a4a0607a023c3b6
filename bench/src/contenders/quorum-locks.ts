import { Redlock, type RedlockOptions } from "quorum-locks";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

function quorumLocksWith(name: string, options: RedlockOptions): ContenderFactory {
  return (urls) => {
    const redlock = new Redlock(urls, { retryCount: -1, ...options });
    return Promise.resolve({
      name,
      version: versionOf("quorum-locks"),
      async acquire(key, ttl, waitMs) {
        const lock = await redlock.acquire(key, ttl, { timeout: waitMs });
        return () => lock.release();
      },
      close: () => redlock.quit(),
    });
  };
}

export const quorumLocks = quorumLocksWith("quorum-locks", {});
/** FIFO mode: waiters queue on the nodes. */
export const quorumLocksFair = quorumLocksWith("quorum-locks (fair)", { fair: true });
