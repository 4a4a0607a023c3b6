import { Redlock } from "quorum-locks";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

export const quorumLocks: ContenderFactory = (urls) => {
  const redlock = new Redlock(urls, { retryCount: -1 });
  return Promise.resolve({
    name: "quorum-locks",
    version: versionOf("quorum-locks"),
    async acquire(key, ttl, waitMs) {
      const lock = await redlock.acquire(key, ttl, { timeout: waitMs });
      return () => lock.release();
    },
    close: () => redlock.quit(),
  });
};
