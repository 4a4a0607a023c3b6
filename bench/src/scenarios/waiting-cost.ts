import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import type { Contender } from "../contenders/index.js";

/** Total commands processed by a node so far (INFO commandstats). */
async function commandsOn(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    const stats = await client.info("commandstats");
    let total = 0;
    for (const match of stats.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
    return total;
  } finally {
    client.destroy();
  }
}

/**
 * A waiter blocked on a lock held for a long time (the holder keeps it for 60 s): commands per
 * second per node that the waiter sends, counted by the nodes themselves over `windowMs`.
 * The first second of waiting is left out, so that subscriptions and first attempts don't count.
 */
export async function waitingCost(
  holder: Contender,
  waiter: Contender,
  urls: readonly string[],
  { windowMs, prefix }: { windowMs: number; prefix: string },
): Promise<number> {
  const key = `${prefix}:long-held`;
  const release = await holder.acquire(key, 60_000, 1_000);
  const waiting = waiter.acquire(key, 60_000, 120_000).catch(() => undefined);
  await sleep(1_000);
  const before = await Promise.all(urls.map(commandsOn));
  const started = performance.now();
  await sleep(windowMs);
  const after = await Promise.all(urls.map(commandsOn));
  const seconds = (performance.now() - started) / 1_000;
  // Each INFO call itself counts once on each node: subtract it.
  const perNode = after.map((a, i) => (a - (before[i] ?? 0) - 1) / seconds);
  await release();
  const releaseWaiter = await waiting;
  if (releaseWaiter !== undefined) await releaseWaiter();
  return perNode.reduce((a, b) => a + b, 0) / perNode.length;
}
