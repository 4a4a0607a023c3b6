import { setTimeout as sleep } from "node:timers/promises";
import { type Lock, Redlock } from "quorum-locks";
import { createClient } from "redis";
import { quantile } from "../stats.js";
import { commandsDuring } from "./waiting-cost.js";

export interface WaitersResult {
  waiters: number;
  /** Waiters that held their lock after the release (all of them, or the target fails). */
  acquired: number;
  /** release → waiter holds it, ms, over every waiter. */
  p50: number;
  p99: number;
  /** Commands per second per node, over the waiters blocked, divided by their number. */
  perWaiter: number;
  /** The commands sent while blocked, summed over the nodes, busiest first. */
  commands: [string, number][];
}

/** Channels with subscribers on `url` that start with `prefix`. */
async function channelsOn(url: string, prefix: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    return (await client.pubSubChannels(`*${prefix}*`)).length;
  } finally {
    client.destroy();
  }
}

/**
 * `waiters` acquisitions in one process, each on its own key held by another instance, started
 * in one tick (the burst the issue saw saturate the event loop): once they are blocked,
 * commands per second per node per blocked waiter over `windowMs`; then every key is released
 * at once, and each waiter's handoff is timed from the release to its lock.
 */
export async function waitersAtScale(
  urls: readonly string[],
  {
    waiters,
    windowMs,
    settleMs,
    prefix,
  }: { waiters: number; windowMs: number; settleMs: number; prefix: string },
): Promise<WaitersResult> {
  const holder = new Redlock(urls, { retryCount: -1 });
  const waiting = new Redlock(urls, { retryCount: -1 });
  const keys = Array.from({ length: waiters }, (_, i) => `${prefix}:${i}`);
  const held: Lock[] = [];
  // The holder's side is not measured: taken in slices, so that it does not time out itself.
  for (let i = 0; i < keys.length; i += 500) {
    held.push(
      ...(await Promise.all(keys.slice(i, i + 500).map((k) => holder.acquire(k, 120_000)))),
    );
  }
  const acquiredAt = new Float64Array(waiters);
  const locks = keys.map((key, i) =>
    waiting.acquire(key, 60_000, { timeout: 110_000 }).then(
      (lock) => {
        acquiredAt[i] = performance.now();
        return lock;
      },
      () => undefined,
    ),
  );
  // Blocked: every waiter subscribed on every node (or the settle time ran out).
  const settleUntil = performance.now() + Math.max(settleMs, 30_000);
  while (performance.now() < settleUntil) {
    const counts = await Promise.all(urls.map((u) => channelsOn(u, prefix)));
    if (counts.every((c) => c >= waiters)) break;
    await sleep(100);
  }
  await sleep(settleMs);
  const { total, seconds, commands } = await commandsDuring(urls, windowMs);
  const releasedAt = performance.now();
  await Promise.all(held.map((lock) => lock.release().catch(() => undefined)));
  const got = await Promise.all(locks);
  const times: number[] = [];
  for (let i = 0; i < waiters; i++) {
    if (got[i] !== undefined) times.push((acquiredAt[i] as number) - releasedAt);
  }
  await Promise.all(
    got.flatMap((lock) => (lock === undefined ? [] : [lock.release().catch(() => undefined)])),
  );
  await Promise.all([holder.quit(), waiting.quit()]);
  return {
    waiters,
    acquired: times.length,
    p50: times.length === 0 ? Number.NaN : quantile(times, 0.5),
    p99: times.length === 0 ? Number.NaN : quantile(times, 0.99),
    perWaiter: total / urls.length / seconds / waiters,
    commands,
  };
}
