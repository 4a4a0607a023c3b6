import { type LocalCluster, startLocalCluster } from "@quorum-locks/redis-servers";
import { GlideClusterClient, Logger } from "@valkey/valkey-glide";
import { Cluster as IoCluster } from "ioredis";
import { createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { hashSlot } from "../../src/client/hash-slot.js";
import { LockConfigError, LockManager, type NodeInput, Redlock } from "../../src/index.js";
import { useNodes } from "../fixtures/vitest.js";

type NodeRedisCluster = ReturnType<typeof createCluster>;

// GLIDE logs every server error (NOSCRIPT included) as a warning.
Logger.init("off");

describe("Redis Cluster nodes", () => {
  const standalone = useNodes(1);
  let first: LocalCluster;
  let second: LocalCluster;
  let inspector: NodeRedisCluster;
  const opened: { close(): unknown }[] = [];
  const redlocks: Redlock[] = [];

  beforeAll(async () => {
    [first, second] = await Promise.all([startLocalCluster(3), startLocalCluster(3)]);
    inspector = createCluster({ rootNodes: first.rootNodes.map((n) => ({ socket: n })) });
    await inspector.connect();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(redlocks.splice(0).map((r) => r.quit()));
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    inspector.destroy();
    await Promise.all([first.stop(), second.stop()]);
  });

  const nodeRedisCluster = async (cluster: LocalCluster) => {
    const client = createCluster({
      rootNodes: cluster.rootNodes.map((n) => ({ socket: n })),
      defaults: { disableOfflineQueue: true },
    });
    client.on("error", () => undefined);
    await client.connect();
    opened.push({
      close: () => {
        client.destroy();
      },
    });
    return client;
  };
  const ioredisCluster = async (cluster: LocalCluster) => {
    const client = new IoCluster(cluster.rootNodes.map((n) => ({ ...n })));
    client.on("error", () => undefined);
    await new Promise((resolve) => client.once("ready", resolve));
    opened.push({
      close: () => {
        client.disconnect();
      },
    });
    return client;
  };
  const glideCluster = async (cluster: LocalCluster) => {
    const client = await GlideClusterClient.createClient({
      addresses: cluster.rootNodes.map((n) => ({ ...n })),
      requestTimeout: 250,
    });
    opened.push({
      close: () => {
        client.close();
      },
    });
    return client;
  };
  const redlock = (nodes: NodeInput[], options = {}) => {
    const made = new Redlock(nodes, options);
    redlocks.push(made);
    return made;
  };

  test("hash slots follow the Redis Cluster specification, hash tags included", async () => {
    for (const key of ["orders:42", "{user1000}.following", "a{}b", "{}x", "føø{ß}"]) {
      const reply = await inspector.sendCommand(undefined, true, ["CLUSTER", "KEYSLOT", key]);
      expect(hashSlot(key)).toBe(reply);
    }
    expect(hashSlot("123456789")).toBe(0x31c3 % 16384); // the CRC16-XModem check value
  });

  describe.each([
    ["node-redis", nodeRedisCluster],
    ["ioredis", ioredisCluster],
    ["Valkey GLIDE", glideCluster],
  ] as const)("a %s cluster client as the only node", (_, connect) => {
    test("acquire, extend and release keys spread over every shard", async () => {
      const lockOn = redlock([await connect(first)]);
      // Enough names to land on all three masters.
      const names = Array.from({ length: 12 }, (__, i) => `cluster:${_}:${i}`);
      const locks = await Promise.all(names.map((name) => lockOn.acquire(name, 10_000)));
      for (const [i, lock] of locks.entries()) {
        expect(await inspector.get(names[i] as string)).toBe(lock.value);
        await lock.extend(60_000);
        expect(await inspector.pTTL(names[i] as string)).toBeGreaterThan(10_000);
        await lock.release();
        expect(await inspector.get(names[i] as string)).toBeNull();
      }
    });

    test("a waiter gets the lock once the holder releases", async () => {
      const holder = redlock([await connect(first)]);
      const waiter = redlock([await connect(first)], { retryDelay: 20, retryJitter: 20 });
      const held = await holder.acquire(`cluster:${_}:wait`, 120_000);
      const waiting = waiter.acquire(`cluster:${_}:wait`, 10_000, { timeout: 60_000 });
      await expect(waiter.acquire(`cluster:${_}:wait`, 10_000, { retryCount: 0 })).rejects.toThrow(
        /quorum not reached/,
      );
      await held.release();
      // A subscribing client would otherwise sleep out the holder's two minutes: the release
      // reached it through the cluster's pub/sub. GLIDE cannot subscribe: its waiter polls.
      const lock = await waiting;
      expect(await inspector.get(`cluster:${_}:wait`)).toBe(lock.value);
      await lock.release();
    });

    test("keys of one lock in different slots are refused before anything is sent", async () => {
      const lockOn = redlock([await connect(first)]);
      const error = await lockOn.acquire(["orders:1", "orders:2"], 10_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockConfigError);
      expect((error as LockConfigError).message).toContain(
        `"orders:1" (slot ${hashSlot("orders:1")}), "orders:2" (slot ${hashSlot("orders:2")})`,
      );
      expect(await inspector.get("orders:1")).toBeNull();
      const tagged = ["{order:7}:items", "{order:7}:payment"];
      const lock = await lockOn.acquire(tagged, 10_000);
      expect(await inspector.mGet(tagged)).toEqual([lock.value, lock.value]);
      await lock.release();
    });

    test("a fair lock keeps its queue in the resource's slot", async () => {
      const lockOn = redlock([await connect(first)], { fair: true });
      const lock = await lockOn.acquire(`cluster:${_}:fair`, 10_000);
      await lock.release();
      expect(await inspector.get(`cluster:${_}:fair`)).toBeNull();
    });

    test("fenced locks keep their counters in the resources' slot", async () => {
      const lockOn = redlock([await connect(first)], { fencing: true });
      const tagged = ["{fenced}:a", "{fenced}:b"];
      const one = await lockOn.acquire(tagged, 10_000);
      await one.release();
      const two = await lockOn.acquire(tagged, 10_000);
      expect(two.fencingToken).toBeGreaterThan(one.fencingToken ?? 0n);
      await two.release();
    });
  });

  test("a LockManager over a cluster: locks by name, stampede protection, health", async () => {
    const manager = new LockManager({
      redisNodes: [await nodeRedisCluster(first)],
    });
    try {
      const value = await manager.withLock("cluster-report", async (handle) => {
        expect(await inspector.get("lock:cluster-report")).toBe(handle.value);
        return manager.protectCacheStampede("cluster-total", () => Promise.resolve(7));
      });
      expect(value).toBe(7);
      expect(await manager.getCached("cluster-total")).toBe(7);
      expect((await manager.healthCheck()).healthy).toBe(true);
    } finally {
      await manager.close();
    }
  });

  test("a Redlock over two clusters and a standalone node; contention between two of them", async () => {
    const nodes = async () => [
      await nodeRedisCluster(first),
      await ioredisCluster(second),
      standalone.nodes.urls[0] as string,
    ];
    const a = redlock(await nodes());
    const b = redlock(await nodes(), { retryDelay: 20, retryJitter: 20 });
    const held = await a.acquire("{mixed}:a", 10_000);
    await expect(b.acquire("{mixed}:a", 10_000, { retryCount: 0 })).rejects.toThrow(
      /quorum not reached/,
    );
    const waiting = b.acquire("{mixed}:a", 10_000, { timeout: 20_000 });
    await held.release();
    const lock = await waiting;
    expect(await inspector.get("{mixed}:a")).toBe(lock.value);
    expect(await (await standalone.nodes.inspect(0)).get("{mixed}:a")).toBe(lock.value);
    await lock.release();
    // The slot rule applies as soon as one node is a cluster.
    await expect(a.acquire(["x", "y"], 10_000)).rejects.toBeInstanceOf(LockConfigError);
  });
});
