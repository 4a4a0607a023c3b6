import { describe, expect, test } from "vitest";
import { LockAcquisitionError, LockError, LockTimeoutError } from "../../src/index.js";
import { parseWeightedHolds, peakPermits, type WeightedHold } from "../fixtures/intervals.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";
import { runWorker, startWorker } from "../fixtures/workers.js";

const env = useNodes(5);

describe("the weighted peak checker", () => {
  const hold = (start: number, end: number, permits: number): WeightedHold => ({
    owner: "x",
    start: BigInt(start),
    end: BigInt(end),
    permits,
  });
  test("sums overlapping holds and lets touching ones pass", () => {
    expect(peakPermits([hold(0, 10, 1), hold(10, 20, 2)])).toBe(2);
    expect(peakPermits([hold(0, 10, 1), hold(5, 20, 2), hold(6, 7, 1)])).toBe(4);
    expect(peakPermits([])).toBe(0);
  });
});

describe("a semaphore over 5 nodes", () => {
  test("worker processes never hold more than `limit` permits at once (weighted)", async () => {
    const urls = env.nodes.urls.join(",");
    const results = await Promise.all(
      [1, 1, 2, 1, 2].map((permits, w) =>
        runWorker("permit-holder", [
          urls,
          "cross-process",
          "3",
          "12",
          String(permits),
          "2000",
          `p${w}`,
        ]),
      ),
    );
    const holds = results.flatMap((r) => parseWeightedHolds(r.stdout));
    expect(holds).toHaveLength(60);
    expect(new Set(holds.map((h) => h.owner)).size).toBe(5);
    expect(peakPermits(holds)).toBeLessThanOrEqual(3);
  }, 120_000);

  test("many holders in one process never exceed the limit, and all get served", async () => {
    const holders = Array.from({ length: 8 }, () =>
      env.redlock({ retryCount: -1, retryDelay: 2, retryJitter: 8 }),
    );
    const holds: WeightedHold[] = [];
    let current = 0;
    let peak = 0;
    await Promise.all(
      holders.map(async (redlock, w) => {
        const sem = redlock.semaphore("in-process", { limit: 3 });
        const permits = (w % 2) + 1;
        for (let i = 0; i < 6; i++) {
          const permit = await sem.acquire(5_000, { permits, timeout: 30_000 });
          current += permits;
          peak = Math.max(peak, current);
          const start = process.hrtime.bigint();
          await new Promise((r) => setImmediate(r));
          const end = process.hrtime.bigint();
          expect(permit.isHeld()).toBe(true);
          current -= permits;
          await permit.release();
          holds.push({ owner: `w${w}`, start, end, permits });
        }
      }),
    );
    expect(holds).toHaveLength(48);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peakPermits(holds)).toBeLessThanOrEqual(3);
  }, 60_000);

  test("a killed holder's permits come back when their ttl ends", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("killed", { limit: 2 });
    const worker = startWorker("permit-holder", [
      env.nodes.urls.join(","),
      "killed",
      "2",
      "hold",
      "2",
      "1500",
    ]);
    let out = "";
    worker.child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes("held"), { timeoutMs: 30_000 });
    expect(await sem.inUse()).toBe(2);
    worker.child.kill("SIGKILL");
    await worker.done;
    // Full now: nothing free until the dead holder's ttl ends.
    await expect(sem.acquire(10_000, { timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    const permit = await sem.acquire(10_000, { permits: 2, timeout: 20_000 });
    expect(permit.isHeld()).toBe(true);
    expect(permit.permits).toBe(2);
    await permit.release();
  }, 60_000);

  test("works with 2 of 5 nodes dead", async () => {
    await env.nodes.server(0).kill();
    await env.nodes.server(3).kill();
    const redlock = env.redlock({ commandTimeout: 300 });
    const sem = redlock.semaphore("two-dead", { limit: 2 });
    const a = await sem.acquire(10_000, { timeout: 10_000 });
    const b = await sem.acquire(10_000, { timeout: 10_000 });
    expect(await sem.inUse()).toBe(2);
    await expect(sem.acquire(10_000, { timeout: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await a.extend(10_000);
    await a.release();
    await b.release();
    expect(await sem.inUse()).toBe(0);
  });

  test("fails in bounded time with a typed error when 3 of 5 nodes are dead", async () => {
    await Promise.all([0, 2, 4].map((i) => env.nodes.server(i).kill()));
    const redlock = env.redlock({
      commandTimeout: 300,
      retryCount: 3,
      retryDelay: 50,
      retryJitter: 10,
    });
    const sem = redlock.semaphore("three-dead", { limit: 2 });
    const started = performance.now();
    const error = await sem.acquire(10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).reason).toBe("unavailable");
    const timed = await sem.acquire(10_000, { timeout: 1_000 }).catch((e: unknown) => e);
    expect(timed).toBeInstanceOf(LockError);
    // Bounded: retries × (delay + jitter) plus command timeouts, with a wide margin.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  test("permits held on one majority still count when another majority is asked", async () => {
    const redlock = env.redlock({ commandTimeout: 300 });
    const sem = redlock.semaphore("moving", { limit: 2 });
    // Nodes 3 and 4 do not answer: the permits are taken on nodes 0, 1 and 2.
    await env.nodes.server(3).pause();
    await env.nodes.server(4).pause();
    const held = [
      await sem.acquire(20_000, { timeout: 5_000 }),
      await sem.acquire(20_000, { timeout: 5_000 }),
    ];
    await env.nodes.server(3).resume();
    await env.nodes.server(4).resume();
    await env.nodes.server(0).pause();
    await env.nodes.server(1).pause();
    // Now only 2, 3 and 4 answer: 3 and 4 have free slots, 2 has none; no quorum may grant.
    const other = env.redlock({ commandTimeout: 300 }).semaphore("moving", { limit: 2 });
    await expect(other.acquire(10_000, { timeout: 500 })).rejects.toBeInstanceOf(LockTimeoutError);
    await env.nodes.server(0).resume();
    await env.nodes.server(1).resume();
    for (const permit of held) await permit.release();
  });
});
