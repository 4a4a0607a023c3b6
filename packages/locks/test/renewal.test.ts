import { setImmediate as turn } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { createClient } from "redis";
import { type Lock, LockOwnershipError, type Redlock } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

/** Live (ref'd) timers of this process, as Node counts them. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

/** Calls of the lock scripts (EVALSHA and EVAL) a node ran so far. */
async function scriptCalls(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    const stats = await client.info("commandstats");
    let calls = 0;
    for (const match of stats.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) {
      calls += Number(match[2]);
    }
    return calls;
  } finally {
    client.destroy();
  }
}

/**
 * `count` locks held under using() on distinct keys, taken in slices so that the acquisitions
 * themselves do not time out on a loaded machine. Resolves once all are held; `release()` ends
 * every routine, and `done` settles when every using() has returned.
 */
async function holdMany(redlock: Redlock, prefix: string, count: number, ttl: number) {
  const locks: Lock[] = [];
  const signals: AbortSignal[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const routines: Promise<void>[] = [];
  for (let start = 0; start < count; start += 500) {
    const slice: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      let held!: () => void;
      slice.push(
        new Promise<void>((resolve) => {
          held = resolve;
        }),
      );
      routines.push(
        redlock.using(`${prefix}:${i}`, ttl, { retryCount: -1 }, async (signal, lock) => {
          locks[i] = lock;
          signals[i] = signal;
          held();
          await released;
        }),
      );
    }
    await Promise.all(slice);
  }
  return {
    locks,
    signals,
    release,
    done: Promise.allSettled(routines),
  };
}

describe("batched renewal", () => {
  const env = useNodes(3);

  test("keeps many locks over several ttls with a few script calls per node", async () => {
    const redlock = env.redlock();
    const lost: unknown[] = [];
    redlock.on("lost", ({ error }) => lost.push(error));
    let extensions = 0;
    redlock.on("extended", () => extensions++);
    const count = 300;
    const ttl = 2_000;
    const held = await holdMany(redlock, "many", count, ttl);
    const before = await scriptCalls(env.nodes.urls[0] as string);
    const from = extensions;
    // Three extensions of every lock: well past three ttls of the first.
    await waitFor(() => extensions - from >= 3 * count || lost.length > 0, {
      timeoutMs: 30_000,
    });
    const calls = (await scriptCalls(env.nodes.urls[0] as string)) - before;
    expect(lost).toEqual([]);
    expect(held.locks.every((lock) => lock.isHeld())).toBe(true);
    expect(held.signals.some((signal) => signal.aborted)).toBe(false);
    // One call per lock per extension would be 900 or more: batches carry many locks each.
    expect(calls).toBeLessThan((extensions - from) / 10);
    // Read first, judged after: a lock still valid once the read is back had its keys on the
    // nodes that confirmed its last extension when they were read (their ttl outlasts its
    // validity), however long this process was descheduled in between.
    const values = await env.nodes.values("many:7");
    const lock = held.locks[7] as Lock;
    expect(lock.isHeld()).toBe(true);
    expect(values.filter((v) => v === lock.value).length).toBeGreaterThanOrEqual(2);
    held.release();
    await held.done;
    await env.nodes.settle("many:7", [null, null, null]);
  });

  test("a lock stolen on a quorum is lost alone; the batch keeps the others", async () => {
    const redlock = env.redlock();
    const lost: string[] = [];
    redlock.on("lost", ({ resources }) => lost.push(resources[0] as string));
    let extensions = 0;
    redlock.on("extended", () => extensions++);
    const count = 60;
    const held = await holdMany(redlock, "steal", count, 1_000);
    // Another owner's token on two nodes of three: the next batch finds it there.
    await env.nodes.hold("steal:30", "intruder", 60_000, [0, 1]);
    await waitFor(() => held.signals[30]?.aborted === true, { timeoutMs: 10_000 });
    expect(held.signals[30]?.reason).toBeInstanceOf(LockOwnershipError);
    expect(held.locks[30]?.isHeld()).toBe(false);
    // Two more rounds of extensions for the others, none lost.
    const from = extensions;
    await waitFor(() => extensions - from >= 2 * (count - 1), { timeoutMs: 15_000 });
    expect(lost).toEqual(["steal:30"]);
    expect(held.signals.filter((signal) => signal.aborted).length).toBe(1);
    expect(held.locks.filter((lock) => lock.isHeld()).length).toBe(count - 1);
    // The intruder's keys are left as they were.
    const values = await env.nodes.values("steal:30");
    expect(values.slice(0, 2)).toEqual(["intruder", "intruder"]);
    held.release();
    await held.done;
  });

  test("a node flushed or restarted empty mid-hold is healed by the batch", async () => {
    const redlock = env.redlock();
    const lost: unknown[] = [];
    redlock.on("lost", ({ error }) => lost.push(error));
    const count = 100;
    const held = await holdMany(redlock, "heal", count, 1_000);
    const onNode = async (i: number) => {
      const keys = await env.nodes.keys("heal:*");
      return keys[i]?.length ?? 0;
    };
    await (await env.nodes.inspect(1)).flushAll();
    await env.nodes.server(2).restart();
    // Every lock's key is set again on both nodes by the next batches.
    await waitFor(async () => (await onNode(1)) === count && (await onNode(2)) === count, {
      timeoutMs: 20_000,
    });
    const lock = held.locks[42] as Lock;
    await waitFor(async () => {
      const values = await env.nodes.values("heal:42");
      return values.every((v) => v === lock.value);
    });
    expect(lost).toEqual([]);
    expect(held.locks.every((l) => l.isHeld())).toBe(true);
    held.release();
    await held.done;
  });

  test("1,000 auto-extended locks keep the timers bounded", async () => {
    const redlock = env.redlock();
    const lost: unknown[] = [];
    redlock.on("lost", ({ error }) => lost.push(error));
    let extensions = 0;
    redlock.on("extended", () => extensions++);
    const baseline = timers();
    const count = 1_000;
    const held = await holdMany(redlock, "timers", count, 2_000);
    let most = 0;
    const from = extensions;
    // Sampled over two extensions of every lock, on every turn of the event loop.
    while (extensions - from < 2 * count && lost.length === 0) {
      most = Math.max(most, timers() - baseline);
      await turn();
    }
    expect(lost).toEqual([]);
    // One timer per Redlock and one per batch in flight (each watchdog had two, and each
    // extension round one): a few in all, not one per lock.
    expect(most).toBeLessThanOrEqual(10);
    held.release();
    await held.done;
  });
});
