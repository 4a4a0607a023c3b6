import { describe, expect, test } from "vitest";
import { MemoryCacheStore } from "../../src/index.js";
import { gatedFetcher } from "../fixtures/deferred.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

const write = (payload: string, ttl = 60_000) => ({
  payload,
  ttl,
  staleTtl: ttl * 5,
  fetchDuration: 0,
});

describe("MemoryCacheStore", () => {
  test("is bounded: the least recently used entry goes first", async () => {
    const store = new MemoryCacheStore(2);
    await store.set("a", write("1"));
    await store.set("b", write("2"));
    await store.get("a"); // a is now more recent than b
    await store.set("c", write("3"));
    expect(store.size).toBe(2);
    expect(await store.get("b")).toBeUndefined();
    expect((await store.get("a"))?.payload).toBe("1");
    expect(() => new MemoryCacheStore(0)).toThrow(RangeError);
  });

  test("writes are guarded by generation, and listeners hear writes and failures", async () => {
    const store = new MemoryCacheStore();
    const heard: string[] = [];
    const stop = await store.listen("k", (n) => heard.push(n.kind));
    const first = await store.set("k", write("1"), 0);
    expect(first).toBeGreaterThan(0);
    expect(await store.set("k", write("stale writer"), 0)).toBeUndefined();
    await store.fail("k", first ?? 0, 30_000, "boom");
    const entry = await store.get("k");
    expect(entry?.payload).toBe("1");
    expect(entry?.errorUntil).toBeGreaterThan(Date.now());
    stop();
    await store.set("k", write("2"));
    expect(heard).toEqual(["written", "failed"]);
  });

  test("expired entries are gone", async () => {
    const store = new MemoryCacheStore();
    await store.set("short", { payload: "x", ttl: 1, staleTtl: 1, fetchDuration: 0 });
    await waitFor(async () => (await store.get("short")) === undefined);
  });
});

describe('a manager with cache: "memory"', () => {
  const env = useManagers(1);

  test("protects one process from a stampede and keeps nothing in Redis", async () => {
    const manager = env.manager({ cache: "memory", cacheMaxEntries: 100 });
    const gated = gatedFetcher(() => "v");
    const { fetcher } = gated;
    const callers = Array.from({ length: 20 }, () => manager.protectCacheStampede("m", fetcher));
    await waitFor(() => gated.runs === 1);
    gated.open();
    expect(await Promise.all(callers)).toEqual(Array(20).fill("v"));
    expect(gated.runs).toBe(1);
    expect(await env.nodes.keys("cache:*")).toEqual([[]]);
  });
});
