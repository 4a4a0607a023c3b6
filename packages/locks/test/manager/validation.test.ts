import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LockConfigError, LockManager, type LockManagerOptions } from "../../src/index.js";
import { TapAdapter } from "../fixtures/tap-adapter.js";
import { useNodes } from "../fixtures/vitest.js";

async function configError(fn: () => unknown): Promise<LockConfigError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LockConfigError);
    return error as LockConfigError;
  }
  throw new Error("expected a LockConfigError");
}

describe("LockManager options", () => {
  const u = (options: object) => ({ redisNodes: ["redis://127.0.0.1:1"], ...options });
  test.each<[string, unknown, string, RegExp]>([
    ["no options", undefined, "(value)", /object/],
    ["no nodes", {}, "redisNodes", /non-empty list/],
    ["an empty node list", { redisNodes: [] }, "redisNodes", /non-empty list/],
    ["a node that is not a URL", { redisNodes: ["localhost:6379"] }, "redisNodes.0", /redis:\/\//],
    ["a zero defaultTtl", u({ defaultTtl: 0 }), "defaultTtl", /more than 0/],
    ["a fractional defaultTtl", u({ defaultTtl: 1.5 }), "defaultTtl", /whole number/],
    ["a negative defaultTimeout", u({ defaultTimeout: -1 }), "defaultTimeout", /0 or more/],
    [
      "retryDelay not below defaultTimeout",
      u({ retryDelay: 500, defaultTimeout: 500 }),
      "retryDelay",
      /below defaultTimeout \(500 ms\)/,
    ],
    ["maxRetries -2", u({ maxRetries: -2 }), "maxRetries", /-1 or more/],
    ["clockDriftFactor 0.5", u({ clockDriftFactor: 0.5 }), "clockDriftFactor", /\[0, 0\.5\)/],
    ["commandTimeout 0", u({ commandTimeout: 0 }), "commandTimeout", /more than 0/],
    ["a non-string prefix", u({ lockPrefix: 5 }), "lockPrefix", /string/],
    ["a cache that is nothing known", u({ cache: 42 }), "cache", /"memory", a CacheStore/],
    ["a cache URL that is not Redis", u({ cache: "http://x" }), "cache", /redis:\/\//],
    [
      "cacheMaxEntries without the memory cache",
      u({ cacheMaxEntries: 10 }),
      "cacheMaxEntries",
      /only applies with cache: "memory"/,
    ],
    [
      "cacheMaxEntries 0",
      u({ cache: "memory", cacheMaxEntries: 0 }),
      "cacheMaxEntries",
      /1 or more/,
    ],
    ["a serializer without functions", u({ serializer: {} }), "serializer", /serialize\(\)/],
    ["an unknown degradeTo", u({ degradeTo: "maybe" }), "degradeTo", /"fetch" or "stale"/],
    ["staleIfErrorTtl 0", u({ staleIfErrorTtl: 0 }), "staleIfErrorTtl", /more than 0/],
    ["a misspelt option", u({ default_ttl: 5 }), "default_ttl", /not a known option/],
  ])("rejects %s, naming the field", async (_name, options, field, message) => {
    const error = await configError(() => new LockManager(options as LockManagerOptions));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  test("never repeats a node URL, which may hold a password", async () => {
    const error = await configError(
      () => new LockManager({ redisNodes: ["redis://user:s3cret-pass@:bad"] }),
    );
    expect(error.message).not.toContain("s3cret-pass");
    expect(error.field).toBe("redisNodes.0");
  });
});

describe("per-call validation sends nothing to Redis", () => {
  const env = useNodes(1);
  let tap: TapAdapter;
  let manager: LockManager;
  beforeAll(async () => {
    tap = new TapAdapter(env.nodes.urls[0] ?? "");
    await tap.firstConnection;
    manager = new LockManager({ redisNodes: [tap] });
  });
  afterAll(async () => {
    await manager.close();
    await tap.close();
  });
  const fetch = () => 1;

  test.each<[string, (m: LockManager) => Promise<unknown>, string, RegExp]>([
    ["an empty name", (m) => m.getLock(""), "name", /empty/],
    ["a name that is not a string", (m) => m.getLock(5 as never), "name", /string/],
    ["a name with a lone surrogate", (m) => m.getLock("a\uDC00"), "name", /well-formed/],
    ["a zero ttl", (m) => m.getLock("a", { ttl: 0 }), "options.ttl", /more than 0/],
    ["a negative timeout", (m) => m.getLock("a", { timeout: -1 }), "options.timeout", /0 or more/],
    [
      "retryDelay not below the timeout",
      (m) => m.getLock("a", { timeout: 100, retryDelay: 100 }),
      "options.retryDelay",
      /below the timeout \(100 ms\)/,
    ],
    [
      "retryDelay not below the default timeout",
      (m) => m.getLock("a", { retryDelay: 5_000 }),
      "options.retryDelay",
      /below the timeout \(5000 ms\)/,
    ],
    [
      "staleTtl without returnStale",
      (m) => m.getLock("a", { staleTtl: 1_000 }),
      "options.staleTtl",
      /only applies with returnStale/,
    ],
    [
      "a signal that is not one",
      (m) => m.getLock("a", { signal: "stop" as never }),
      "options.signal",
      /AbortSignal/,
    ],
    [
      "an unknown getLock option",
      (m) => m.getLock("a", { ttlMs: 5 } as never),
      "options.ttlMs",
      /not a known option/,
    ],
    [
      "a fractional tryLock ttl",
      (m) => m.tryLock("a", { ttl: 1.5 }),
      "options.ttl",
      /whole number/,
    ],
    [
      "maxRetries -2",
      (m) => m.tryLock("a", { maxRetries: -2 }),
      "options.maxRetries",
      /-1 or more/,
    ],
    [
      "a withLock routine that is not a function",
      (m) => m.withLock("a", 5 as never),
      "routine",
      /function/,
    ],
    ["an empty unlock name", (m) => m.unlock(""), "name", /empty/],
    ["an empty cache key", (m) => m.protectCacheStampede("", fetch), "key", /empty/],
    [
      "a fetcher that is not a function",
      (m) => m.protectCacheStampede("k", "f" as never),
      "fetcher",
      /function/,
    ],
    [
      "staleTtl below ttl",
      (m) => m.protectCacheStampede("k", fetch, { ttl: 10_000, staleTtl: 5_000 }),
      "options.staleTtl",
      /at least the ttl \(10000 ms\)/,
    ],
    [
      "staleTtl below the default ttl",
      (m) => m.refreshWithLock("k", fetch, { staleTtl: 5_000 }),
      "options.staleTtl",
      /at least the ttl \(60000 ms\)/,
    ],
    [
      "a negative beta",
      (m) => m.protectCacheStampede("k", fetch, { beta: -1 }),
      "options.beta",
      /0 or more/,
    ],
    [
      "an unknown degradeTo",
      (m) => m.protectCacheStampede("k", fetch, { degradeTo: "x" as never }),
      "options.degradeTo",
      /"fetch" or "stale"/,
    ],
    [
      "an unknown cache option",
      (m) => m.protectCacheStampede("k", fetch, { stale: true } as never),
      "options.stale",
      /not a known option/,
    ],
    [
      "setCached staleTtl below ttl",
      (m) => m.setCached("k", 1, { ttl: 2_000, staleTtl: 1_000 }),
      "options.staleTtl",
      /at least the ttl/,
    ],
    ["an empty lock-info name", (m) => m.getLockInfo(""), "name", /empty/],
  ])("rejects %s", async (_name, call, field, message) => {
    const before = tap.sent.length;
    const error = await configError(() => call(manager));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(tap.sent.length).toBe(before);
  });

  test.each([0, -5, 2.5, NaN])("extendLock rejects %s and keeps the lock", async (ms) => {
    const handle = await manager.getLock("valid");
    const before = tap.sent.length;
    const error = await configError(() => handle.extendLock(ms));
    expect(error.field).toBe("ms");
    expect(tap.sent.length).toBe(before);
    expect(handle.hasLock()).toBe(true);
    await handle.release();
  });
});
