import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

// The floor: what a lock costs with nothing but the raw client. SET NX PX to every node in
// parallel, then a compare-and-delete script to every node.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export const floorNodeRedis: ContenderFactory = async (urls) => {
  const template = createClient({});
  const clients = urls.map((url) => template.duplicate({ url }));
  await Promise.all(clients.map((c) => c.connect()));
  const [sha = ""] = await Promise.all(clients.map((c) => c.scriptLoad(RELEASE)));
  const quorum = Math.floor(urls.length / 2) + 1;
  const release = async (key: string, token: string) => {
    await Promise.all(clients.map((c) => c.sendCommand(["EVALSHA", sha, "1", key, token])));
  };
  return {
    name: "raw node-redis (floor)",
    version: versionOf("redis"),
    async acquire(key, ttl, waitMs) {
      const deadline = performance.now() + waitMs;
      for (;;) {
        const token = randomBytes(16).toString("hex");
        const replies = await Promise.all(
          clients.map((c) =>
            c.sendCommand<string | null>(["SET", key, token, "NX", "PX", String(ttl)]),
          ),
        );
        if (replies.filter((r) => r === "OK").length >= quorum) return () => release(key, token);
        await release(key, token);
        if (performance.now() > deadline) throw new Error("floor: not acquired");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
};
