import { createClient } from "redis";
import { describe, expect, test } from "vitest";
import {
  CacheValueError,
  DeadlockError,
  LockAbortedError,
  LockAcquisitionError,
  LockTimeoutError,
  RedisCacheStore,
} from "../../src/index.js";
import { deferred, gatedFetcher } from "../fixtures/deferred.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

describe("protectCacheStampede in one process", () => {
  const env = useManagers(3);

  /** Writes an entry that stopped being fresh a second ago and stays servable stale for a minute. */
  async function staleEntry(key: string, value: unknown): Promise<void> {
    const client = await env.nodes.inspect(0);
    const now = Date.now();
    await client.hSet(`cache:${key}`, {
      v: JSON.stringify(value),
      g: now - 2_000,
      t: now - 2_000,
      f: now - 1_000,
      s: now + 60_000,
      d: 5,
    });
    await client.pExpire(`cache:${key}`, 60_000);
  }

  test("a fresh value is served without locking or fetching", async () => {
    const manager = env.manager();
    await manager.setCached("profile:1", { name: "Ada" });
    let runs = 0;
    const value = await manager.protectCacheStampede("profile:1", () => ++runs);
    expect(value).toEqual({ name: "Ada" });
    expect(runs).toBe(0);
    const stats = manager.getStatistics();
    expect(stats.cache.hits).toBe(1);
    expect(stats.locks.acquisitions).toBe(0);
  });

  test("concurrent callers on a miss share one fetch, and the value is cached", async () => {
    const manager = env.manager();
    const gated = gatedFetcher(() => ({ price: 42 }));
    const { fetcher } = gated;
    const callers = Array.from({ length: 50 }, () =>
      manager.protectCacheStampede("prices:AAPL", fetcher, { ttl: 60_000 }),
    );
    await waitFor(() => gated.runs === 1);
    gated.open();
    const values = await Promise.all(callers);
    expect(values).toEqual(Array(50).fill({ price: 42 }));
    expect(gated.runs).toBe(1);
    expect(await manager.protectCacheStampede("prices:AAPL", fetcher)).toEqual({ price: 42 });
    const stats = manager.getStatistics();
    expect(stats.cache).toMatchObject({ misses: 50, hits: 1, fetcherRuns: 1, writes: 1 });
    expect(stats.waits.count).toBe(50);
    expect(stats.locks).toMatchObject({ acquisitions: 1, releases: 1 });
    const ttl = await (await env.nodes.inspect(0)).pTTL("cache:prices:AAPL");
    expect(ttl).toBeGreaterThan(250_000); // kept for staleTtl (5 × ttl by default)
  });

  test("waiters in another manager are woken by the write, not by a timer", async () => {
    const a = env.manager();
    const b = env.manager({ fallbackInterval: 60_000 });
    const gated = gatedFetcher(() => "fresh");
    const { fetcher } = gated;
    const first = a.protectCacheStampede("woken", fetcher, { timeout: 20_000 });
    await waitFor(() => gated.runs === 1);
    const second = b.protectCacheStampede("woken", fetcher, { timeout: 20_000 });
    await waitFor(async () => {
      const reply = (await (await env.nodes.inspect(0)).pubSubNumSub("cache:woken")) as Record<
        string,
        number
      >;
      return reply["cache:woken"] === 1;
    });
    gated.open();
    expect(await Promise.all([first, second])).toEqual(["fresh", "fresh"]);
    expect(gated.runs).toBe(1);
  });

  test("stale values are served at once while one refresh runs", async () => {
    const manager = env.manager();
    await staleEntry("user_profile:123", "old");
    const gated = gatedFetcher(() => "new");
    const { fetcher } = gated;
    const options = { ttl: 60_000, staleTtl: 300_000, returnStale: true } as const;
    const during = await Promise.all(
      Array.from({ length: 20 }, () =>
        manager.protectCacheStampede("user_profile:123", fetcher, options),
      ),
    );
    expect(during).toEqual(Array(20).fill("old"));
    await waitFor(() => gated.runs === 1);
    gated.open();
    await waitFor(async () => (await manager.getCached("user_profile:123")) === "new");
    expect(await manager.protectCacheStampede("user_profile:123", fetcher, options)).toBe("new");
    expect(gated.runs).toBe(1);
    expect(manager.getStatistics().cache.staleServed).toBeGreaterThanOrEqual(20);
  });

  test("a fetch error reaches every waiter of its round", async () => {
    const manager = env.manager();
    const failure = new Error("source down");
    const gated = gatedFetcher(() => {
      throw failure;
    });
    const { fetcher } = gated;
    const callers = Array.from({ length: 5 }, () =>
      manager.protectCacheStampede("failing", fetcher).catch((e: unknown) => e),
    );
    await waitFor(() => gated.runs === 1);
    gated.open();
    expect(await Promise.all(callers)).toEqual(Array(5).fill(failure));
    expect(manager.getStatistics().cache).toMatchObject({ fetcherRuns: 1, fetcherErrors: 1 });
  });

  test("stale-if-error: a failed refresh serves stale and backs off from the source", async () => {
    const manager = env.manager();
    await staleEntry("quote", "stale");
    let runs = 0;
    const failing = () => {
      runs++;
      throw new Error("source down");
    };
    const options = { returnStale: true, staleIfErrorTtl: 60_000 } as const;
    expect(await manager.protectCacheStampede("quote", failing, options)).toBe("stale");
    await waitFor(() => manager.getStatistics().cache.fetcherErrors === 1);
    for (let i = 0; i < 5; i++) {
      expect(await manager.protectCacheStampede("quote", failing, options)).toBe("stale");
    }
    expect(runs).toBe(1); // backing off: the source was not called again
    // refreshWithLock waits for its refresh; with returnStale a failure serves the stale value.
    const refreshed = await manager.refreshWithLock("quote", failing, options);
    expect(refreshed).toBe("stale");
    expect(runs).toBe(2);
    await expect(manager.refreshWithLock("quote", failing)).rejects.toThrow("source down");
  });

  test("a waiter gives up after its timeout with LockTimeoutError; the refresh goes on", async () => {
    const a = env.manager();
    const b = env.manager();
    const gate = deferred();
    const slow = a.protectCacheStampede("slow", async () => {
      await gate.promise;
      return 1;
    });
    await waitFor(async () => (await env.nodes.keys("lock:stampede:*")).flat().length > 0);
    const error = await b
      .protectCacheStampede("slow", () => 2, { timeout: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as Error).message).toMatch(/cached value of "slow"/);
    gate.resolve();
    expect(await slow).toBe(1);
  });

  test("an aborted signal detaches its caller only", async () => {
    const manager = env.manager();
    const gated = gatedFetcher(() => "shared");
    const { fetcher } = gated;
    const controller = new AbortController();
    const leaving = manager
      .protectCacheStampede("detach", fetcher, { signal: controller.signal })
      .catch((e: unknown) => e);
    const staying = manager.protectCacheStampede("detach", fetcher);
    await waitFor(() => gated.runs === 1);
    controller.abort(new Error("client went away"));
    expect(await leaving).toBeInstanceOf(LockAbortedError);
    gated.open();
    expect(await staying).toBe("shared");
    expect(gated.runs).toBe(1);
  });

  test("callers with their own timeouts give up one by one; the others still get the value", async () => {
    const manager = env.manager();
    const gated = gatedFetcher(() => "late");
    const outcomes: unknown[] = [];
    const call = (timeout: number) =>
      manager.protectCacheStampede("own-timeouts", gated.fetcher, { timeout }).then(
        (value) => outcomes.push({ timeout, value }),
        (error: unknown) => outcomes.push({ timeout, error }),
      );
    const calls = [call(150), call(50), call(30_000)];
    await waitFor(() => outcomes.length === 2);
    expect(outcomes).toEqual([
      { timeout: 50, error: expect.any(LockTimeoutError) as unknown },
      { timeout: 150, error: expect.any(LockTimeoutError) as unknown },
    ]);
    gated.open();
    await Promise.all(calls);
    expect(outcomes[2]).toEqual({ timeout: 30_000, value: "late" });
    expect(gated.runs).toBe(1);
  });

  test.each([
    ["a small value comes with the writer's notice: the waiter does not read it back", 1, 2],
    ["a large value is read back after the notice", 20_000, 3],
  ])("%s", async (_, size, reads) => {
    class CountingStore extends RedisCacheStore {
      reads = 0;
      override async get(key: string) {
        this.reads++;
        return super.get(key);
      }
    }
    const store = new CountingStore(env.nodes.urls[0] ?? "");
    try {
      const writer = env.manager();
      const waiter = env.manager({ cache: store });
      const gated = gatedFetcher(() => ":".repeat(size)); // colons: the notice is colon-separated
      const written = writer.protectCacheStampede("notice", gated.fetcher);
      await waitFor(() => gated.runs === 1);
      const waiting = waiter.protectCacheStampede("notice", gated.fetcher);
      // The waiter looked, lost the lock, listens, and looked again: now it sleeps.
      const inspector = await env.nodes.inspect(0);
      await waitFor(
        async () =>
          store.reads === 2 && (await inspector.pubSubNumSub("cache:notice"))["cache:notice"] === 1,
      );
      gated.open();
      expect(await waiting).toHaveLength(size);
      expect(await written).toHaveLength(size);
      expect(store.reads).toBe(reads);
      expect(gated.runs).toBe(1);
    } finally {
      await store.close();
    }
  });

  test("each call gets its own key's and options' plan, however often they repeat", async () => {
    // Plans are kept per (memoized options, key): a mix-up would cache under the wrong key or ttl.
    const manager = env.manager();
    const calls = [
      ["plan:a", { ttl: 5_000 }],
      ["plan:b", { ttl: 5_000 }],
      ["plan:a", { ttl: 5_000 }],
      ["plan:c", { ttl: 60_000 }],
      ["plan:d", { ttl: 60_000, signal: new AbortController().signal }],
    ] as const;
    for (const [key, options] of calls) {
      expect(await manager.protectCacheStampede(key, () => key, options)).toBe(key);
    }
    const node = await env.nodes.inspect(0);
    const ttls = await Promise.all(["a", "b", "c", "d"].map((k) => node.pTTL(`cache:plan:${k}`)));
    // The entry lives ttl × 5 (its stale window).
    expect(ttls.map((t) => (t > 25_000 ? "long" : t > 0 ? "short" : "none"))).toEqual([
      "short",
      "short",
      "long",
      "long",
    ]);
    expect(manager.getStatistics().cache).toMatchObject({ hits: 1, fetcherRuns: 4 });
  });

  test("a slow fetcher does not overwrite a newer value (guarded write)", async () => {
    const manager = env.manager();
    const gate = deferred();
    let started = false;
    const slow = manager.protectCacheStampede("guarded", async () => {
      started = true;
      await gate.promise;
      return "slow";
    });
    await waitFor(() => started);
    await manager.setCached("guarded", "newer");
    gate.resolve();
    expect(await slow).toBe("slow"); // its callers get what it fetched ...
    expect(await manager.getCached("guarded")).toBe("newer"); // ... but the store keeps the newer
    expect(manager.getStatistics().cache).toMatchObject({ writesRejected: 1 });
  });

  test("undefined is not cacheable, and the error says so", async () => {
    const manager = env.manager();
    const error = await manager
      .protectCacheStampede("nothing", () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheValueError);
    expect((error as Error).message).toMatch(/returned undefined.*return null/);
    expect(await manager.protectCacheStampede("nothing", () => null)).toBeNull();
  });

  test("a fetcher asking for its own key fails at once with DeadlockError", async () => {
    const manager = env.manager();
    const error = await manager
      .protectCacheStampede("self", () => manager.protectCacheStampede("self", () => 1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlockError);
  });

  test("probabilistic early refresh (XFetch) refreshes a fresh value in the background", async () => {
    const manager = env.manager();
    let runs = 0;
    const fetcher = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20)); // a fetch that takes time weighs in XFetch
      return runs;
    };
    const options = { ttl: 1_000, beta: 100 } as const;
    expect(await manager.protectCacheStampede("early", fetcher, options)).toBe(1);
    await waitFor(async () => {
      const value = await manager.protectCacheStampede("early", fetcher, options);
      expect(typeof value).toBe("number"); // always answered from the cache at once
      return runs >= 2;
    });
    await waitFor(async () => (await manager.getCached("early")) === 2);
  });

  test("cached values survive a restart of the manager (Redis store)", async () => {
    const first = env.manager();
    await first.protectCacheStampede("kept", () => ({ v: 1 }));
    await first.close();
    const second = env.manager();
    expect(await second.protectCacheStampede("kept", () => ({ v: 2 }))).toEqual({ v: 1 });
  });
});

describe("cache configuration", () => {
  const env = useManagers(1);

  test("a pluggable serializer writes what it makes", async () => {
    const manager = env.manager({
      serializer: {
        serialize: (value) => `v1:${JSON.stringify(value)}`,
        deserialize: (text) => JSON.parse(text.slice(3)) as unknown,
      },
    });
    expect(await manager.protectCacheStampede("ser", () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(await (await env.nodes.inspect(0)).hGet("cache:ser", "v")).toBe('v1:{"n":1}');
    expect(await manager.getCached("ser")).toEqual({ n: 1 });
  });

  test("a node-redis client given as the cache is used as it is and left open", async () => {
    const client = createClient({ url: env.nodes.urls[0] ?? "" });
    await client.connect();
    const manager = env.manager({ cache: client, cachePrefix: "c2:" });
    expect(await manager.protectCacheStampede("k", () => 7)).toBe(7);
    expect(await client.hGet("c2:k", "v")).toBe("7");
    await manager.close();
    expect(client.isOpen).toBe(true);
    client.destroy();
  });
});

describe("when the lock nodes fail", () => {
  const env = useManagers(3);

  test('degradeTo "fetch" runs the fetcher without the lock', async () => {
    const manager = env.manager({ commandTimeout: 200 });
    await env.nodes.server(1).kill();
    await env.nodes.server(2).kill();
    expect(await manager.protectCacheStampede("degraded", () => "direct")).toBe("direct");
    expect(manager.getStatistics().cache).toMatchObject({ degraded: 1, fetcherRuns: 1 });
    expect(await manager.getCached("degraded")).toBe("direct"); // the store (node 0) still works
  });

  test('degradeTo "stale" serves what the store has, and fails without it', async () => {
    const manager = env.manager({ commandTimeout: 200, degradeTo: "stale" });
    await manager.setCached("fallback", "old", { ttl: 1, staleTtl: 60_000 });
    await env.nodes.server(1).kill();
    await env.nodes.server(2).kill();
    await waitFor(async () => {
      const value = await manager.protectCacheStampede("fallback", () => "unused");
      return value === "old" && manager.getStatistics().cache.degraded > 0;
    });
    await expect(manager.protectCacheStampede("empty", () => "unused")).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
  });
});
