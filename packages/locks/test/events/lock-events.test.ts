import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { describe, expect, test } from "vitest";
import {
  type AcquiredEvent,
  diagnosticsChannels,
  type LifecycleEventName,
  type LifecycleEvents,
  LockAbortedError,
  LockAcquisitionError,
  LockOwnershipError,
  LockTimeoutError,
  type Redlock,
} from "../../src/index.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";
import { runWorker } from "../fixtures/workers.js";

/** Every lifecycle event `redlock` emits, in order, by name. */
function record(redlock: Redlock) {
  const seen: { name: LifecycleEventName; event: LifecycleEvents[LifecycleEventName] }[] = [];
  for (const name of Object.keys(diagnosticsChannels) as LifecycleEventName[]) {
    (redlock as unknown as NodeJS.EventEmitter).on(name, (event: LifecycleEvents[typeof name]) =>
      seen.push({ name, event }),
    );
  }
  return {
    names: () => seen.map((s) => s.name),
    of: <K extends LifecycleEventName>(name: K) =>
      seen.filter((s) => s.name === name).map((s) => s.event as LifecycleEvents[K]),
  };
}

describe("lock lifecycle events", () => {
  const env = useNodes(3);

  test("acquired and released carry resources, a token prefix, attempts and durations", async () => {
    const redlock = env.redlock();
    const events = record(redlock);
    const lock = await redlock.acquire(["orders:1", "orders:2"], 10_000);
    await lock.release();
    expect(events.names()).toEqual(["acquired", "released"]);
    const [acquired] = events.of("acquired");
    expect(acquired).toMatchObject({
      resources: ["orders:1", "orders:2"],
      lockId: lock.value.slice(0, 8),
      attempts: 1,
      contended: false,
      fair: false,
    });
    expect(acquired?.granted).toBeGreaterThanOrEqual(2);
    expect(acquired?.duration).toBeGreaterThanOrEqual(0);
    expect(acquired?.validity).toBeGreaterThan(0);
    expect(acquired?.validity).toBeLessThanOrEqual(10_000);
    const [released] = events.of("released");
    expect(released).toMatchObject({
      resources: ["orders:1", "orders:2"],
      lockId: acquired?.lockId,
    });
    expect(released?.duration).toBeGreaterThanOrEqual(0);
    // The whole token (which would let anyone release the lock) never leaves the lock.
    expect(JSON.stringify([acquired, released])).not.toContain(lock.value);
  });

  test("a contended acquisition that waited reports its attempts and the contention", async () => {
    const redlock = env.redlock({ retryCount: -1, retryDelay: 10, retryJitter: 10 });
    const events = record(redlock);
    const held = await env.redlock().acquire("queue", 10_000);
    const pending = redlock.acquire("queue", 10_000);
    await waitFor(async () => {
      const client = await env.nodes.inspect(0);
      const channels = await client.pubSubNumSub(["quorum-locks:released:queue"]);
      return (channels["quorum-locks:released:queue"] ?? 0) > 0;
    });
    await held.release();
    const lock = await pending;
    const [acquired] = events.of("acquired");
    expect(acquired?.contended).toBe(true);
    expect(acquired?.attempts).toBe(lock.attempts);
    expect(acquired?.attempts).toBeGreaterThan(1);
    await lock.release();
  });

  test("acquireFailed says why: retries exhausted, timeout, aborted", async () => {
    await env.nodes.hold("busy", "someone-else", 60_000, [0, 1, 2]);
    const redlock = env.redlock({ retryDelay: 5, retryJitter: 5 });
    const events = record(redlock);

    const exhausted = await redlock
      .acquire("busy", 1_000, { retryCount: 1 })
      .catch((e: unknown) => e);
    const timedOut = await redlock
      .acquire("busy", 1_000, { retryCount: -1, timeout: 50 })
      .catch((e: unknown) => e);
    const controller = new AbortController();
    const aborted = redlock
      .acquire("busy", 1_000, { retryCount: -1, signal: controller.signal })
      .catch((e: unknown) => e);
    await waitFor(() => events.of("acquireFailed").length === 2);
    controller.abort(new Error("caller gave up"));
    expect(await aborted).toBeInstanceOf(LockAbortedError);
    await waitFor(() => events.of("acquireFailed").length === 3);

    const failed = events.of("acquireFailed");
    expect(failed.map((f) => f.outcome)).toEqual(["exhausted", "timeout", "aborted"]);
    expect(failed[0]).toMatchObject({ resources: ["busy"], attempts: 2, contended: true });
    expect(failed[0]?.error).toBe(exhausted);
    expect(exhausted).toBeInstanceOf(LockAcquisitionError);
    expect(failed[1]?.error).toBe(timedOut);
    expect(timedOut).toBeInstanceOf(LockTimeoutError);
    expect(failed[2]?.error).toBeInstanceOf(LockAbortedError);
    expect(events.of("acquired")).toEqual([]);
  });

  test("extended, then extendFailed, lost and releaseFailed once another owner took over", async () => {
    const redlock = env.redlock();
    const events = record(redlock);
    const lock = await redlock.acquire("job", 5_000);
    await lock.extend(20_000);
    await env.nodes.hold("job", "intruder", 60_000, [0, 1, 2]);
    await expect(lock.extend(20_000)).rejects.toBeInstanceOf(LockOwnershipError);
    await expect(lock.release()).rejects.toBeInstanceOf(LockOwnershipError);

    expect(events.names()).toEqual([
      "acquired",
      "extended",
      "lost",
      "extendFailed",
      "releaseFailed",
    ]);
    const lockId = lock.value.slice(0, 8);
    expect(events.of("extended")[0]).toMatchObject({ resources: ["job"], lockId, ttl: 20_000 });
    expect(events.of("extended")[0]?.granted).toBeGreaterThanOrEqual(2);
    const [lost] = events.of("lost");
    expect(lost).toMatchObject({ resources: ["job"], lockId });
    expect(lost?.error).toBeInstanceOf(LockOwnershipError);
    expect(events.of("extendFailed")[0]).toMatchObject({ lockId, ttl: 20_000, lost: true });
    expect(events.of("extendFailed")[0]?.error).toBe(lost?.error);
    expect(events.of("releaseFailed")[0]).toMatchObject({ resources: ["job"], lockId });
    expect(events.of("releaseFailed")[0]?.error).toBe(lost?.error);
  });

  test("the watchdog of using() reports its extensions and the loss", async () => {
    const redlock = env.redlock({ automaticExtensionThreshold: 150 });
    const events = record(redlock);
    await redlock.using("watched", 400, async (signal) => {
      await waitFor(() => events.of("extended").length > 0);
      await env.nodes.hold("watched", "intruder", 60_000, [0, 1, 2]);
      await new Promise((resolve) => {
        signal.addEventListener("abort", resolve);
      });
    });
    expect(events.of("lost")).toHaveLength(1);
    expect(events.of("extendFailed")[0]?.lost).toBe(true);
  });

  test("the same payloads are published on node:diagnostics_channel", async () => {
    const redlock = env.redlock();
    const published: unknown[] = [];
    const onAcquired = (message: unknown) => published.push(message);
    subscribe(diagnosticsChannels.acquired, onAcquired);
    try {
      const emitted: AcquiredEvent[] = [];
      redlock.on("acquired", (event) => emitted.push(event));
      const lock = await redlock.acquire("channel", 10_000);
      await lock.release();
      expect(published).toHaveLength(1);
      expect(published[0]).toBe(emitted[0]);
    } finally {
      unsubscribe(diagnosticsChannels.acquired, onAcquired);
    }
    expect(diagnosticsChannels).toMatchObject({
      acquired: "quorum-locks:acquired",
      nodeDown: "quorum-locks:nodeDown",
    });
  });

  test("a throwing listener cannot break a lock: its error surfaces as an uncaught exception", async () => {
    const result = await runWorker("throwing-listener", [env.nodes.server(0).url]);
    expect(JSON.parse(result.stdout)).toEqual({ held: true, uncaught: ["listener bug"] });
  });
});

describe("node events", () => {
  const env = useNodes(3);

  test("a paused node is reported down once (unresponsive), and up when it answers again", async () => {
    const redlock = env.redlock({ commandTimeout: 200, retryCount: 0 });
    const events = record(redlock);
    const label = redlock.nodes[0];
    await (await redlock.acquire("warm-up", 1_000)).release();
    await env.nodes.server(0).pause();
    await waitFor(
      async () => {
        const lock = await redlock.acquire("paused", 1_000);
        await lock.release();
        return events.of("nodeDown").length > 0;
      },
      { intervalMs: 50 },
    );
    // More commands to the paused node: still one report for the outage.
    for (let i = 0; i < 3; i++) await (await redlock.acquire("paused", 1_000)).release();
    expect(events.of("nodeDown")).toEqual([
      { node: label, reason: "unresponsive", error: undefined },
    ]);
    expect(events.of("nodeUp")).toEqual([]);

    await env.nodes.server(0).resume();
    await waitFor(() => events.of("nodeUp").length > 0);
    const [up] = events.of("nodeUp");
    expect(up?.node).toBe(label);
    expect(up?.downFor).toBeGreaterThan(0);
    expect(events.of("nodeDown")).toHaveLength(1);
  });

  test("a killed node is reported down (error), and up once restarted and answering", async () => {
    const redlock = env.redlock({ retryCount: 0 });
    const events = record(redlock);
    const label = redlock.nodes[1];
    await (await redlock.acquire("warm-up", 1_000)).release();
    await env.nodes.server(1).kill();
    await waitFor(async () => {
      await (await redlock.acquire("killed", 1_000)).release();
      return events.of("nodeDown").length > 0;
    });
    expect(events.of("nodeDown")).toHaveLength(1);
    expect(events.of("nodeDown")[0]).toMatchObject({ node: label, reason: "error" });
    expect(events.of("nodeDown")[0]?.error).toBeInstanceOf(Error);

    await env.nodes.server(1).restart();
    await waitFor(
      async () => {
        await (await redlock.acquire("killed", 1_000)).release();
        return events.of("nodeUp").length > 0;
      },
      { intervalMs: 50 },
    );
    expect(events.of("nodeUp")[0]?.node).toBe(label);
    expect(events.of("nodeDown")).toHaveLength(1);
    // Labels are host:port: no credentials in any payload.
    expect(label).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
