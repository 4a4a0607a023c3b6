import { setTimeout as sleep } from "node:timers/promises";
import type { Contender } from "../contenders/index.js";
import { quantile } from "../stats.js";

/**
 * A waiter is blocked on a held lock; the holder releases it; how long until the waiter holds
 * it. Holder and waiter are separate instances (separate connections), as separate processes
 * would be.
 */
export async function handoff(
  holder: Contender,
  waiter: Contender,
  { samples, blockedMs, prefix }: { samples: number; blockedMs: number; prefix: string },
): Promise<{ p50: number; p90: number }> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const key = `${prefix}:${i}`;
    const release = await holder.acquire(key, 30_000, 1_000);
    let acquiredAt = 0;
    const waiting = waiter.acquire(key, 30_000, 20_000).then((r) => {
      acquiredAt = performance.now();
      return r;
    });
    await sleep(blockedMs); // let the waiter fail its first attempts and settle into waiting
    const releasedAt = performance.now();
    await release();
    const releaseWaiter = await waiting;
    times.push(acquiredAt - releasedAt);
    await releaseWaiter();
  }
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9) };
}
