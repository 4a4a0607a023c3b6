import { Redlock } from "@sesamecare-oss/redlock";
import { Redis } from "ioredis";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

// The maintained fork of node-redlock, default retry settings.
export const sesamecareRedlock: ContenderFactory = async (urls) => {
  const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const redlock = new Redlock(clients, { retryCount: 1_000 });
  redlock.on("error", () => undefined);
  return {
    name: "@sesamecare-oss/redlock",
    version: versionOf("@sesamecare-oss/redlock"),
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
