import { Redlock, type RedlockOptions } from "quorum-locks";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

function quorumLocksWith(name: string, options: RedlockOptions): ContenderFactory {
  return (urls) => {
    // The bench's nodes were started a moment ago: no restart quarantine.
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
/** Fencing tokens: a counter per resource, and a second round trip when nodes disagree. */
export const quorumLocksFenced = quorumLocksWith("quorum-locks (fenced)", { fencing: true });
