import { describe, expect, test } from "vitest";
import { WaitHistogram } from "../../src/manager/wait-histogram.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

describe("wait-time histogram", () => {
  test("percentiles are exact nearest-rank values at 1 ms resolution below a second", () => {
    const histogram = new WaitHistogram();
    for (let ms = 100; ms >= 1; ms--) histogram.record(ms);
    expect(histogram.summary()).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(histogram.summary().mean).toBeCloseTo(50.5);
  });

  test("every value counts (no sampling), and long waits keep three significant digits", () => {
    const histogram = new WaitHistogram();
    for (let i = 0; i < 100_000; i++) histogram.record(i < 99_000 ? 3 : 12_345);
    expect(histogram.count).toBe(100_000);
    expect(histogram.percentile(99)).toBe(3);
    expect(histogram.percentile(99.5)).toBe(12_400);
    expect(new WaitHistogram().summary()).toMatchObject({ count: 0, p50: 0, p99: 0 });
  });
});

describe("getStatistics", () => {
  const env = useManagers(3);

  test("counts every acquisition, failure, timeout, release, extension and cache outcome", async () => {
    const manager = env.manager();
    const other = env.manager({ maxRetries: 0 });
    const a = await manager.getLock("a");
    await a.extendLock(1_000);
    await a.extendLock(1_000);
    await manager.getLock("a", { timeout: 0 }).catch(() => undefined); // timeout
    await other.getLock("a", { timeout: 5_000 }).catch(() => undefined); // other's failure
    await a.release();
    expect(await manager.tryLock("b")).toBe(true);
    expect(await manager.unlock("b")).toBe(true);
    await manager.protectCacheStampede("k", () => 1); // miss + fetch
    await manager.protectCacheStampede("k", () => 2); // hit
    const stats = manager.getStatistics();
    expect(stats.locks).toEqual({
      acquisitions: 3, // a, b, and the refresh lock of k
      failures: 0,
      timeouts: 1,
      deadlocks: 0,
      releases: 3,
      extensions: 2,
      lostLocks: 0,
    });
    expect(stats.cache).toMatchObject({
      hits: 1,
      misses: 1,
      staleServed: 0,
      fetcherRuns: 1,
      fetcherErrors: 0,
      writes: 1,
      writesRejected: 0,
      inFlight: 0,
    });
    expect(stats.waits.count).toBe(4); // getLock a, the timed-out getLock, tryLock b, the miss of k
    expect(stats.quorum).toBe(2);
    expect(stats.defaultTtl).toBe(30_000);
    expect(stats.nodes.map((n) => n.node)).toEqual(
      env.nodes.servers.map((s) => `127.0.0.1:${s.port}`),
    );
    expect(other.getStatistics().locks).toMatchObject({ failures: 1, timeouts: 0 });
  });

  test("per-node errors and health follow the nodes", async () => {
    const manager = env.manager({ commandTimeout: 200 });
    await (await manager.getLock("warm")).release();
    await env.nodes.server(2).kill();
    await waitFor(async () => {
      await (await manager.getLock("probe")).release();
      const node = manager.getStatistics().nodes[2];
      return (node?.commandErrors ?? 0) > 0 && (node?.connectionErrors ?? 0) > 0;
    });
    const nodes = manager.getStatistics().nodes;
    expect(nodes[0]).toMatchObject({ commandErrors: 0, connectionErrors: 0, responsive: true });
  });
});
