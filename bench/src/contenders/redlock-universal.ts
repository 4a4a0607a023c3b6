import { createClient } from "redis";
import { createRedlock, type LockHandle, NodeRedisAdapter } from "redlock-universal";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

// redlock-universal on node-redis (its closest setup to ours). It builds one lock object per key.
export const redlockUniversal: ContenderFactory = async (urls) => {
  const template = createClient({});
  const clients = urls.map((url) => template.duplicate({ url }));
  await Promise.all(clients.map((c) => c.connect()));
  const adapters = clients.map((c) => new NodeRedisAdapter(c as never));
  const locks = new Map<string, ReturnType<typeof createRedlock>>();
  return {
    name: "redlock-universal",
    version: versionOf("redlock-universal"),
    async acquire(key, ttl, waitMs) {
      let lock = locks.get(key);
      if (lock === undefined) {
        lock = createRedlock({ adapters, key, ttl, retryAttempts: Math.ceil(waitMs / 200) });
        locks.set(key, lock);
      }
      const handle: LockHandle = await lock.acquire();
      const held = lock;
      return async () => {
        await held.release(handle);
      };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
};
