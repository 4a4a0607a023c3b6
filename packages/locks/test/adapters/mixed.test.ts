import { afterEach, describe, expect, test } from "vitest";
import { LockManager } from "../../src/index.js";
import { releaseChannel } from "../../src/redlock/channels.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";
import type { CallerClient } from "./behaviour.js";
import { ioredis, iovalkey, nodeRedis } from "./kinds.js";

describe("one Redlock over clients of different libraries", () => {
  const env = useNodes(3);
  const clients: CallerClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  const mixed = async () => {
    const [a, b, c] = env.nodes.urls;
    const made = await Promise.all([
      nodeRedis.connect(a as string),
      ioredis.connect(b as string),
      iovalkey.connect(c as string),
    ]);
    clients.push(...made);
    return made.map((m) => m.input);
  };

  test("node-redis, ioredis and iovalkey nodes lock, wait for and release together", async () => {
    const holder = env.redlock({}, await mixed());
    const waiter = env.redlock({}, await mixed());
    expect(holder.nodes).toEqual(env.nodes.urls.map((u) => new URL(u).host));
    const held = await holder.acquire("mixed", 120_000);
    await env.nodes.settle("mixed", Array(3).fill(held.value));
    const waiting = waiter.acquire("mixed", 10_000, { timeout: 60_000 });
    await waitFor(async () => {
      const counts = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const reply = await (await env.nodes.inspect(i)).pubSubNumSub(releaseChannel("mixed"));
          return (reply as Record<string, number>)[releaseChannel("mixed")];
        }),
      );
      return counts.every((n) => n === 1);
    });
    await held.release();
    const lock = await waiting;
    await env.nodes.settle("mixed", Array(3).fill(lock.value));
    await lock.release();
    await env.nodes.settle("mixed", [null, null, null]);
  });

  test("a LockManager takes the same clients as redisNodes (its cache store on the first)", async () => {
    const manager = new LockManager({
      redisNodes: await mixed(),
      retryDelay: 10,
      retryJitter: 10,
    });
    try {
      const value = await manager.withLock("report", async (handle) => {
        await env.nodes.settle("lock:report", Array(3).fill(handle.value));
        return manager.protectCacheStampede("total", () => Promise.resolve(42));
      });
      expect(value).toBe(42);
      expect(await manager.getCached("total")).toBe(42);
      expect((await manager.healthCheck()).healthy).toBe(true);
    } finally {
      await manager.close();
    }
    for (const client of clients) expect(await client.ping()).toBe("PONG");
  });
});
