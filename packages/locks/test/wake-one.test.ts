import { describe, expect, test } from "vitest";
import type { Lock } from "../src/index.js";
import { releaseChannel } from "../src/redlock/channels.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

// Without a line, each release started one round per waiter of the process, of which one
// could win: 128 contenders on a key cost 188 requests per node per acquisition (bench).
describe("a release wakes the head of the process's line, not every waiter", () => {
  const env = useNodes(3);
  /** EVALSHA calls node 0 has run so far (INFO commandstats). */
  const scriptCalls = async () => {
    const info = await (await env.nodes.inspect(0)).info("commandstats");
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };
  const listening = async (resource: string) => {
    const channel = releaseChannel(resource);
    const counts = await Promise.all(
      env.nodes.servers.map(async (_, i) => {
        const client = await env.nodes.inspect(i);
        const reply = (await client.pubSubNumSub(channel)) as Record<string, number>;
        return reply[channel] ?? 0;
      }),
    );
    return counts.every((n) => n > 0);
  };

  test("40 waiters on one key: each handoff costs a few scripts per node, and all get the lock in turn", async () => {
    const holder = env.redlock();
    const waiting = env.redlock();
    const held = await holder.acquire("crowd", 60_000);
    const waiters = 40;
    let holding = 0;
    let most = 0;
    let acquired = 0;
    // The timeout makes each waiter wait for a release notice alone (no retryDelay cap).
    const runs = Array.from({ length: waiters }, () =>
      waiting.acquire("crowd", 30_000, { timeout: 60_000 }).then(async (lock: Lock) => {
        most = Math.max(most, ++holding);
        acquired++;
        holding--;
        await lock.release();
      }),
    );
    const before = await scriptCalls();
    // Every waiter made its first attempt (holder's acquire + 40) and the line is subscribed.
    await waitFor(async () => (await scriptCalls()) >= waiters && (await listening("crowd")));
    const blocked = await scriptCalls();
    await held.release();
    await Promise.all(runs);
    const handoffScripts = (await scriptCalls()) - blocked;
    expect(acquired).toBe(waiters);
    expect(most).toBe(1);
    // Per handoff: the release and the next waiter's acquire (sometimes a retry). Waking every
    // waiter would run about waiters/2 attempts per handoff, 20 here.
    expect(handoffScripts / waiters).toBeLessThanOrEqual(4);
    expect(blocked - before).toBeGreaterThanOrEqual(waiters);
  });

  test("a head that gives up leaves the line: the next waiter is woken by the release", async () => {
    const holder = env.redlock();
    const waiting = env.redlock();
    const held = await holder.acquire("leaving", 60_000);
    const first = new AbortController();
    const quitter = waiting
      .acquire("leaving", 10_000, { timeout: 60_000, signal: first.signal })
      .catch((error: unknown) => error);
    await waitFor(() => listening("leaving"));
    const next = waiting.acquire("leaving", 10_000, { timeout: 60_000 });
    await waitFor(async () => (await scriptCalls()) >= 3);
    first.abort();
    await quitter;
    await held.release();
    // Long before the holder's 60 s ttl: woken by the release.
    const lock = await next;
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });

  test("a waiter for several resources is woken by the release of any of them", async () => {
    const holder = env.redlock();
    const waiting = env.redlock();
    const held = await holder.acquire("pair:a", 60_000);
    const both = waiting.acquire(["pair:a", "pair:b"], 10_000, { timeout: 60_000 });
    await waitFor(() => listening("pair:a"));
    await held.release();
    const lock = await both;
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });
});
