import { SENTINEL_MASTER_NAME, startLocalSentinel } from "@quorum-locks/redis-servers";
import { Redis as IoRedis } from "ioredis";
import { createSentinel } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type NodeInput, Redlock } from "../../src/index.js";
import { withClient } from "../fixtures/test-nodes.js";
import { useNodes } from "../fixtures/vitest.js";

describe("Sentinel-managed nodes", () => {
  const standalone = useNodes(2);
  let deployment: Awaited<ReturnType<typeof startLocalSentinel>>;
  const opened: { ping(): Promise<unknown>; close(): Promise<void> }[] = [];
  const redlocks: Redlock[] = [];

  beforeAll(async () => {
    deployment = await startLocalSentinel();
  });
  afterEach(async () => {
    await Promise.all(redlocks.splice(0).map((r) => r.quit()));
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await deployment.stop();
  });

  const sentinelRoot = () => ({ host: "127.0.0.1", port: deployment.sentinel.port });
  const kinds = {
    "node-redis createSentinel": async (): Promise<NodeInput> => {
      const client = createSentinel({
        name: SENTINEL_MASTER_NAME,
        sentinelRootNodes: [sentinelRoot()],
      });
      client.on("error", () => undefined);
      await client.connect();
      opened.push({
        ping: () => client.sendCommand(false, ["PING"]),
        close: () => client.destroy(),
      });
      return client;
    },
    "ioredis with sentinels": async (): Promise<NodeInput> => {
      const client = new IoRedis({ sentinels: [sentinelRoot()], name: SENTINEL_MASTER_NAME });
      client.on("error", () => undefined);
      await new Promise((resolve) => client.once("ready", resolve));
      opened.push({
        ping: () => client.ping(),
        close: () => {
          client.disconnect();
          return Promise.resolve();
        },
      });
      return client;
    },
  };

  describe.each(Object.entries(kinds))("%s", (name, connect) => {
    test("locks on the master Sentinel names; a waiter hears the release; the client stays open", async () => {
      const holder = new Redlock([await connect()]);
      const waiter = new Redlock([await connect()], {
        retryDelay: 20,
        retryJitter: 20,
      });
      redlocks.push(holder, waiter);
      const resource = `sentinel:${name}`;
      const held = await holder.acquire(resource, 120_000);
      await withClient(deployment.master.url, async (master) => {
        expect(await master.get(resource)).toBe(held.value);
        const waiting = waiter.acquire(resource, 10_000, { timeout: 60_000 });
        await held.extend(120_000);
        await held.release();
        // Without the notification the waiter would sleep out the holder's two minutes.
        const lock = await waiting;
        expect(await master.get(resource)).toBe(lock.value);
        await lock.release();
        expect(await master.get(resource)).toBeNull();
      });
      await Promise.all([holder.quit(), waiter.quit()]);
      for (const client of opened) expect(await client.ping()).toBe("PONG");
    });
  });

  test("a Redlock over a Sentinel-managed node and two standalone nodes", async () => {
    const redlock = new Redlock([
      await kinds["node-redis createSentinel"](),
      ...standalone.nodes.urls,
    ]);
    redlocks.push(redlock);
    const lock = await redlock.acquire("sentinel:mixed", 10_000);
    await standalone.nodes.settle("sentinel:mixed", [lock.value, lock.value]);
    await lock.release();
    await standalone.nodes.settle("sentinel:mixed", [null, null]);
  });
});
