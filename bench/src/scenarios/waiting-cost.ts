import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import type { Contender } from "../contenders/index.js";

/** Calls per command processed by a node so far (INFO commandstats). */
export async function commandsOn(url: string): Promise<Map<string, number>> {
  const client = createClient({ url });
  await client.connect();
  try {
    const stats = await client.info("commandstats");
    const calls = new Map<string, number>();
    for (const match of stats.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
      calls.set(match[1] ?? "", Number(match[2]));
    }
    return calls;
  } finally {
    client.destroy();
  }
}

/** The commands' calls between two snapshots, busiest first; the counting INFO left out. */
function callsBetween(before: Map<string, number>, after: Map<string, number>) {
  const calls: [string, number][] = [];
  for (const [name, n] of after) {
    const delta = n - (before.get(name) ?? 0) - (name === "info" ? 1 : 0);
    if (delta > 0) calls.push([name, delta]);
  }
  return calls.sort((a, b) => b[1] - a[1]);
}

/**
 * The commands the nodes at `urls` ran over the next `windowMs` (counted by the nodes, the
 * counting INFO left out): their total, the window's length in seconds, and which they were,
 * summed over the nodes, most first.
 */
export async function commandsDuring(urls: readonly string[], windowMs: number) {
  const before = await Promise.all(urls.map(commandsOn));
  const started = performance.now();
  await sleep(windowMs);
  const after = await Promise.all(urls.map(commandsOn));
  const seconds = (performance.now() - started) / 1_000;
  const calls = after.map((a, i) => callsBetween(before[i] ?? new Map<string, number>(), a));
  const byCommand = new Map<string, number>();
  for (const [name, n] of calls.flat()) byCommand.set(name, (byCommand.get(name) ?? 0) + n);
  return {
    total: calls.flat().reduce((sum, [, n]) => sum + n, 0),
    seconds,
    commands: [...byCommand].sort((a, b) => b[1] - a[1]),
  };
}

/**
 * A waiter blocked on a lock held for a long time (the holder keeps it for 60 s): commands per
 * second per node that the waiter sends, counted by the nodes themselves over `windowMs`.
 * The first `settleMs` of waiting are left out, so that subscriptions and first attempts don't count.
 */
export async function waitingCost(
  holder: Contender,
  waiter: Contender,
  urls: readonly string[],
  { windowMs, settleMs, prefix }: { windowMs: number; settleMs: number; prefix: string },
): Promise<{ perNodePerSecond: number; commands: [string, number][] }> {
  const key = `${prefix}:long-held`;
  const release = await holder.acquire(key, 60_000, 1_000);
  const waiting = waiter.acquire(key, 60_000, 120_000).catch(() => undefined);
  await sleep(settleMs);
  const { total, seconds, commands } = await commandsDuring(urls, windowMs);
  await release();
  const releaseWaiter = await waiting;
  if (releaseWaiter !== undefined) await releaseWaiter();
  // Which commands they were: a figure above zero says what was sent.
  return { perNodePerSecond: total / urls.length / seconds, commands };
}
