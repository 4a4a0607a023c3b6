import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// The same floor with ioredis, the client node-redlock and redis-semaphore are built on.
export const floorIoredis: ContenderFactory = async (urls) => {
  const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const [sha = ""] = (await Promise.all(clients.map((c) => c.script("LOAD", RELEASE)))) as string[];
  const quorum = Math.floor(urls.length / 2) + 1;
  const release = async (key: string, token: string) => {
    await Promise.all(clients.map((c) => c.evalsha(sha, 1, key, token)));
  };
  return {
    name: "raw ioredis",
    version: versionOf("ioredis"),
    async acquire(key, ttl, waitMs) {
      const deadline = performance.now() + waitMs;
      for (;;) {
        const token = randomBytes(16).toString("hex");
        const replies = await Promise.all(clients.map((c) => c.set(key, token, "PX", ttl, "NX")));
        if (replies.filter((r) => r === "OK").length >= quorum) return () => release(key, token);
        await release(key, token);
        if (performance.now() > deadline) throw new Error("ioredis floor: not acquired");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
};
