import { describe, expect, test } from "vitest";
import { CacheTimeoutError, LockAcquisitionError, LockTimeoutError } from "../src/index.js";
import { deferred } from "./fixtures/deferred.js";
import { useManagers, waitFor } from "./fixtures/managers.js";

// The errors carry what the last round decided, so that callers (and the cache's waiters) need
// not work it out again from the nodes' outcomes.
describe("what an acquisition error carries", () => {
  const env = useManagers(3);

  test("a held lock: reason held, and the holder's remaining ttl", async () => {
    const redlock = env.manager().redlock;
    const held = await redlock.acquire("details:held", 10_000);
    const error = await redlock
      .acquire("details:held", 5_000, { timeout: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    const failure = error as LockAcquisitionError;
    expect(failure.reason).toBe("held");
    expect(failure.holderTtl).toBeGreaterThan(0);
    expect(failure.holderTtl).toBeLessThanOrEqual(10_000);
    await held.release();
  });

  test("nodes that are down: reason unavailable, and no holder ttl", async () => {
    const redlock = env.manager().redlock;
    await Promise.all(env.nodes.servers.map((s) => s.kill()));
    const error = await redlock
      .acquire("details:down", 5_000, { retryCount: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).reason).toBe("unavailable");
    expect((error as LockAcquisitionError).holderTtl).toBeUndefined();
  });
});

describe("a wait for a cached value that runs out", () => {
  const env = useManagers(3);

  test("rejects with CacheTimeoutError, a LockTimeoutError naming the key", async () => {
    const [a, b] = [env.manager(), env.manager()];
    const gate = deferred();
    const slow = a.protectCacheStampede("details:slow", async () => {
      await gate.promise;
      return 1;
    });
    await waitFor(async () => (await env.nodes.keys("lock:stampede:*")).flat().length > 0);
    const error = await b
      .protectCacheStampede("details:slow", () => 2, { timeout: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheTimeoutError);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as CacheTimeoutError).key).toBe("details:slow");
    expect((error as CacheTimeoutError).timeout).toBe(100);
    expect((error as CacheTimeoutError).name).toBe("CacheTimeoutError");
    gate.resolve();
    expect(await slow).toBe(1);
  });
});
