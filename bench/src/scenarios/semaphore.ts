import { setTimeout as sleep } from "node:timers/promises";
import type { SemaphoreContender } from "../contenders/semaphores.js";
import { quantile } from "../stats.js";
import { commandsDuring } from "./waiting-cost.js";

/**
 * `workers` concurrent loops acquire+release one permit for `durationMs`; `sharing` loops share
 * each semaphore (at most `limit`, so nobody has to wait for a permit): with 1 the figure is the
 * cost of a cycle, with `limit` it adds concurrent acquisitions of one semaphore. Returns
 * completed cycles per second.
 */
export async function semaphoreThroughput(
  c: SemaphoreContender,
  {
    workers,
    limit,
    sharing,
    durationMs,
    prefix,
  }: {
    workers: number;
    limit: number;
    sharing: number;
    durationMs: number;
    prefix: string;
  },
): Promise<number> {
  let cycles = 0;
  const started = performance.now();
  const stopAt = started + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const key = `${prefix}:${Math.floor(w / sharing)}`;
      while (performance.now() < stopAt) {
        const release = await c.acquire(key, limit, 10_000, 2_000);
        await release();
        cycles++;
      }
    }),
  );
  return cycles / ((performance.now() - started) / 1_000);
}

/** Takes every permit of `key`, one by one: the semaphore is full. */
async function fill(holder: SemaphoreContender, key: string, limit: number, ttl: number) {
  const releases: (() => Promise<void>)[] = [];
  for (let i = 0; i < limit; i++) releases.push(await holder.acquire(key, limit, ttl, 1_000));
  return releases;
}

/**
 * The semaphore is full; a waiter (another instance: its own connections, as another process
 * would be) is blocked on it; the holder releases one permit; how long until the waiter holds it.
 */
export async function semaphoreHandoff(
  holder: SemaphoreContender,
  waiter: SemaphoreContender,
  {
    samples,
    limit,
    blockedMs,
    prefix,
  }: {
    samples: number;
    limit: number;
    blockedMs: number;
    prefix: string;
  },
): Promise<{ p50: number; p90: number }> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const key = `${prefix}:${i}`;
    const [first, ...rest] = await fill(holder, key, limit, 30_000);
    let acquiredAt = 0;
    const waiting = waiter.acquire(key, limit, 30_000, 20_000).then((r) => {
      acquiredAt = performance.now();
      return r;
    });
    await sleep(blockedMs); // let the waiter fail its first attempts and settle into waiting
    const releasedAt = performance.now();
    await first?.();
    const releaseWaiter = await waiting;
    times.push(acquiredAt - releasedAt);
    await Promise.all([releaseWaiter(), ...rest.map((r) => r())]);
  }
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9) };
}

/**
 * The semaphore is full for a long time (60 s permits); one waiter is blocked on it: commands
 * per second per node it sends, counted by the nodes it uses over `windowMs`, after `settleMs`
 * so that subscriptions and first attempts don't count.
 */
export async function semaphoreWaitingCost(
  holder: SemaphoreContender,
  waiter: SemaphoreContender,
  {
    limit,
    windowMs,
    settleMs,
    prefix,
  }: {
    limit: number;
    windowMs: number;
    settleMs: number;
    prefix: string;
  },
): Promise<{ perNodePerSecond: number; commands: [string, number][] }> {
  const key = `${prefix}:full`;
  const releases = await fill(holder, key, limit, 60_000);
  const waiting = waiter.acquire(key, limit, 60_000, 120_000).catch(() => undefined);
  await sleep(settleMs);
  const { total, seconds, commands } = await commandsDuring(waiter.urls, windowMs);
  await Promise.all(releases.map((r) => r()));
  const releaseWaiter = await waiting;
  if (releaseWaiter !== undefined) await releaseWaiter();
  return { perNodePerSecond: total / waiter.urls.length / seconds, commands };
}
