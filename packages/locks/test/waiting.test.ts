import { describe, expect, test } from "vitest";
import { LockAbortedError, LockAcquisitionError, LockTimeoutError } from "../src/index.js";
import { scripts } from "../src/scripts/index.js";
import { TapAdapter } from "./fixtures/tap-adapter.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

// Its own servers: killing them all would leave the next test's fresh clients still connecting
// to restarted servers, and a holder that misses one of them (a partial holder) changes what
// a waiter sees.
describe("waiting: retries", () => {
  const env = useNodes(3);

  test("retryCount bounds the attempts", async () => {
    await Promise.all(env.nodes.servers.map((s) => s.kill()));
    const redlock = env.redlock({ retryDelay: 1, retryJitter: 1 });
    const error = await redlock
      .acquire("retries", 10_000, { retryCount: 4 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect(error).not.toBeInstanceOf(LockTimeoutError);
    expect((error as LockAcquisitionError).attempts).toBe(5);
  });
});

describe("waiting: holders, timeout and abort", () => {
  const env = useNodes(3);

  test("a holder ttl beyond the timer limit (2^31 ms) is waited on, not polled", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const month = 31 * 24 * 3_600_000; // above 2^31 − 1 ms
      const held = await env.redlock().acquire("long-held", month);
      const error = await env
        .redlock()
        .acquire("long-held", 10_000, { timeout: 600 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      // Subscribed, then asleep until the timeout: not one attempt per millisecond.
      expect((error as LockTimeoutError).attempts).toBeLessThanOrEqual(3);
      expect((error as LockTimeoutError).reason).toBe("held");
      await held.release();
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  test("without a timeout, a held lock is given up after about retryCount × (retryDelay + retryJitter)", async () => {
    const held = await env.redlock().acquire("held-long", 60_000);
    const started = performance.now();
    const error = await env
      .redlock({ retryCount: 3, retryDelay: 50, retryJitter: 50 })
      .acquire("held-long", 10_000)
      .catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).attempts).toBe(4);
    // Three waits of at most 100 ms each (plus the rounds), not the holder's 60 s.
    expect(took).toBeLessThan(5_000);
    await held.release();
  });

  test("a waiter is woken by the release, not by polling", async () => {
    const holder = env.redlock();
    const waiter = env.redlock({ retryDelay: 60_000, retryJitter: 0 });
    const held = await holder.acquire("handoff", 60_000);
    const waiting = waiter.acquire("handoff", 10_000, { timeout: 30_000 });
    // Subscribed on every node: the release will be announced to it.
    await waitFor(async () => {
      const counts = await Promise.all(
        env.nodes.servers.map(
          async (_, i) =>
            (await (
              await env.nodes.inspect(i)
            ).pubSubNumSub("quorum-locks:released:handoff")) as Record<string, number>,
        ),
      );
      return counts.every((c) => c["quorum-locks:released:handoff"] === 1);
    });
    await held.release();
    const lock = await waiting;
    // First try, one more right after subscribing, then the one the release woke. The first
    // node's notification may beat the release on another node (they are separate
    // connections): that attempt is a split vote, and the later notifications wake the next.
    expect(lock.attempts).toBeGreaterThanOrEqual(3);
    expect(lock.attempts).toBeLessThanOrEqual(3 + env.nodes.servers.length - 1);
    await lock.release();
  });

  test("a holder that expires instead of releasing is retried when its ttl runs out", async () => {
    const holder = env.redlock();
    const waiter = env.redlock({ retryDelay: 60_000, retryJitter: 0 });
    await holder.acquire("expires", 400); // never released
    const lock = await waiter.acquire("expires", 10_000, { timeout: 30_000 });
    expect(lock.attempts).toBeLessThanOrEqual(4);
    await lock.release();
  });

  /**
   * Holds `key` for another owner on nodes 1 and 2 for `ttls` ms, node 0 free: every attempt
   * before they expire is a split vote (1 of 3 granted). The attempts a waiter needs.
   */
  async function attemptsPastSplit(key: string, ttls: readonly [number, number]) {
    await (await env.nodes.inspect(1)).set(key, "other", { PX: ttls[0] });
    await (await env.nodes.inspect(2)).set(key, "other", { PX: ttls[1] });
    const waiter = env.redlock({ retryCount: -1, retryDelay: 60_000, retryJitter: 0 });
    const lock = await waiter.acquire(key, 10_000, { timeout: 30_000 });
    await lock.release();
    return lock.attempts;
  }

  test("a holder whose keys expire a few ms apart is waited out, not spun on", async () => {
    expect(await attemptsPastSplit("skewed-expiry", [30, 40])).toBeLessThanOrEqual(3);
  });

  test("a holder missing from one node is backed off from exponentially", async () => {
    // Held on a quorum but gone from node 0 (say, evicted) for 400 ms: 1, 2, 4, … 64 ms, then
    // 64 ms pauses, about a dozen attempts, not one per round trip.
    expect(await attemptsPastSplit("partial-holder", [400, 400])).toBeLessThanOrEqual(16);
  });

  test("timeout ends the wait with LockTimeoutError, carrying the last outcomes", async () => {
    const redlock = env.redlock({ retryCount: -1, retryDelay: 20, retryJitter: 10 });
    const held = await redlock.acquire("timeout", 10_000);
    const error = await redlock
      .acquire("timeout", 10_000, { timeout: 150 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    const timeout = error as LockTimeoutError;
    expect(timeout.timeout).toBe(150);
    expect(timeout.attempts).toBeGreaterThan(1);
    expect(timeout.nodes.some((o) => o.status === "held")).toBe(true);
    expect(await env.nodes.values("timeout")).toEqual([held.value, held.value, held.value]);
    await held.release();
  });

  test("timeout 0 makes exactly one attempt", async () => {
    const redlock = env.redlock();
    const held = await redlock.acquire("try-once", 10_000);
    const error = await redlock
      .acquire("try-once", 10_000, { timeout: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).attempts).toBe(1);
    await held.release();
  });

  test("aborting the signal cancels the wait at once", async () => {
    const redlock = env.redlock({ retryCount: -1, retryDelay: 60_000, retryJitter: 0 });
    const held = await redlock.acquire("abort", 10_000);
    const controller = new AbortController();
    const waiting = redlock.acquire("abort", 10_000, { signal: controller.signal });
    await waitFor(async () =>
      (await (await env.nodes.inspect(0)).info("commandstats")).includes("evalsha"),
    );
    controller.abort(new Error("user gave up"));
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAbortedError);
    expect((error as LockAbortedError).cause).toEqual(new Error("user gave up"));
    await held.release();
  });

  test("an already aborted signal rejects without sending anything", async () => {
    const redlock = env.redlock();
    await expect(
      redlock.acquire("pre-aborted", 10_000, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(LockAbortedError);
    expect((await env.nodes.keys()).flat()).toEqual([]);
  });

  test("a lock won while the caller aborted is handed straight back", async () => {
    const taps = env.nodes.urls.map((u) => new TapAdapter(u));
    await Promise.all(taps.map((t) => t.firstConnection));
    await Promise.all(env.nodes.servers.map((s) => s.pause()));
    const redlock = env.redlock({ commandTimeout: 5_000 }, taps);
    const controller = new AbortController();
    const waiting = redlock.acquire("abort-in-flight", 10_000, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(LockAbortedError);
    await Promise.all(env.nodes.servers.map((s) => s.resume()));
    // The attempt in flight then wins, and its lock is released, not leaked.
    const released = (t: TapAdapter) =>
      t.sent.some((args) => args[1] === scripts.release.sha || args[1] === scripts.release.source);
    await waitFor(() => taps.filter(released).length >= 2);
    await waitFor(async () => (await env.nodes.values("abort-in-flight")).every((v) => v === null));
    await Promise.all(taps.map((t) => t.close()));
  });
});
