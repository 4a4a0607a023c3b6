import { describe, expect, test } from "vitest";
import { LockTimeoutError } from "../src/index.js";
import { releaseChannel } from "../src/redlock/channels.js";
import { TapAdapter } from "./fixtures/tap-adapter.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

describe("release notifications never leave a waiter stuck", () => {
  const env = useNodes(3);
  const subscribers = async (resource: string) => {
    const counts = await Promise.all(
      env.nodes.servers.map(async (_, i) => {
        const reply = (await (
          await env.nodes.inspect(i)
        ).pubSubNumSub(releaseChannel(resource))) as Record<string, number>;
        return reply[releaseChannel(resource)] ?? 0;
      }),
    );
    return Math.min(...counts);
  };

  test("a lost notification: the waiter still gets the lock when the holder's ttl runs out", async () => {
    const holder = env.redlock();
    const waiter = env.redlock({ retryDelay: 60_000, retryJitter: 0 });
    // Long enough for the waiter to subscribe on a loaded machine before the holder expires.
    await holder.acquire("lost-notice", 2_000);
    const waiting = waiter.acquire("lost-notice", 10_000, { timeout: 20_000 });
    await waitFor(async () => (await subscribers("lost-notice")) === 1);
    // The key disappears without a release: nobody is told.
    await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).del("lost-notice")),
    );
    const lock = await waiting;
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });

  test("a waiter whose timeout ends before the holder's ttl gives up at its timeout", async () => {
    const holder = env.redlock();
    const waiter = env.redlock({ retryDelay: 60_000, retryJitter: 0 });
    const held = await holder.acquire("long-held", 60_000);
    const error = await waiter
      .acquire("long-held", 10_000, { timeout: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    await held.release();
  });

  test("subscriptions end with the wait: nothing is left listening", async () => {
    const holder = env.redlock();
    const waiter = env.redlock();
    const held = await holder.acquire("unsubscribed", 60_000);
    const waiting = waiter.acquire("unsubscribed", 10_000, { timeout: 20_000 });
    await waitFor(async () => (await subscribers("unsubscribed")) === 1);
    await held.release();
    await (await waiting).release();
    await waitFor(async () => (await subscribers("unsubscribed")) === 0);
  });

  test("without pub/sub (an adapter that cannot subscribe) waiters fall back to polling", async () => {
    const taps = env.nodes.urls.map((u) => new TapAdapter(u));
    const holder = env.redlock();
    const waiter = env.redlock({ retryDelay: 20, retryJitter: 10 }, taps);
    const held = await holder.acquire("polled", 60_000);
    const waiting = waiter.acquire("polled", 10_000, { timeout: 20_000 });
    // It keeps trying: three attempts' scripts on node 0 (INFO and the marker check aside).
    await waitFor(() => (taps[0]?.sent.filter((a) => a.includes("polled")).length ?? 0) >= 3);
    await held.release();
    const lock = await waiting;
    expect(lock.attempts).toBeGreaterThanOrEqual(3);
    await lock.release();
    await Promise.all(taps.map((t) => t.close()));
  });
});
