import { Redis } from "ioredis";
import Redlock from "redlock";
import type { ContenderFactory } from "./contender.js";
import { versionOf } from "./versions.js";

// redlock's published types import ioredis, which it does not depend on: under pnpm's strict
// layout they do not resolve, so the part we use is typed here.
interface RedlockLike {
  on(event: "error", listener: () => void): unknown;
  acquire(resources: string[], ttl: number): Promise<{ release(): Promise<unknown> }>;
}
const RedlockClass = Redlock as new (
  clients: Redis[],
  options: { retryCount: number },
) => RedlockLike;

// node-redlock 5 beta on ioredis, default retry settings (200 ms ± 200 ms jitter).
export const nodeRedlock: ContenderFactory = async (urls) => {
  const clients = urls.map((url) => new Redis(url, { lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const redlock = new RedlockClass(clients, { retryCount: 1_000 });
  redlock.on("error", () => undefined);
  return {
    name: "node-redlock",
    version: versionOf("redlock"),
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
