import { describe, expect, test } from "vitest";
import { MemoryCacheStore, RedisCacheStore } from "../../src/index.js";
import { useManagers } from "../fixtures/managers.js";

/** A store inside the process that can tell whether its (imaginary) server answers. */
class PingedStore extends MemoryCacheStore {
  pings = 0;
  answer: Error | undefined;
  ping(): Promise<void> {
    this.pings++;
    return this.answer === undefined ? Promise.resolve() : Promise.reject(this.answer);
  }
}

describe("healthCheck and the cache store", () => {
  const env = useManagers(3);

  test("a store with ping() is asked, and its failure is reported", async () => {
    const store = new PingedStore(100);
    const manager = env.manager({ cache: store });
    expect((await manager.healthCheck()).cache).toEqual({ ok: true });
    store.answer = new Error("store unreachable");
    const report = await manager.healthCheck();
    expect(report.cache).toEqual({ ok: false, error: "store unreachable" });
    expect(report.healthy).toBe(true);
    expect(store.pings).toBe(2);
  });

  test("a store without ping() reports ok", async () => {
    const manager = env.manager({ cache: new MemoryCacheStore(100) });
    expect((await manager.healthCheck()).cache).toEqual({ ok: true });
  });

  test("a Redis store whose server is gone reports why", async () => {
    const store = new RedisCacheStore("redis://127.0.0.1:1", { commandTimeout: 200 });
    try {
      const manager = env.manager({ cache: store });
      const report = await manager.healthCheck();
      expect(report.cache.ok).toBe(false);
      expect(report.cache.error).toBeDefined();
    } finally {
      await store.close();
    }
  });
});
