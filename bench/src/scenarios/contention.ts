import { setTimeout as sleep } from "node:timers/promises";
import type { Contender } from "../contenders/index.js";
import { jain } from "../stats.js";
import { commandsDuring } from "./waiting-cost.js";

/**
 * What a client sends, as the nodes count it: script calls, pub/sub and connection commands.
 * The nodes also count each command a script runs, which a library of scripts never sends.
 */
const REQUESTS = new Set([
  "evalsha",
  "eval",
  "evalsha_ro",
  "eval_ro",
  "fcall",
  "subscribe",
  "unsubscribe",
  "psubscribe",
  "punsubscribe",
  "ping",
  "info",
  "wait",
  "hello",
  "multi",
  "exec",
]);

export interface ContentionResult {
  contenders: number;
  /** Requests (REQUESTS) each node got per acquisition, over the window. */
  requestsPerNodePerAcquisition: number;
  /** Acquisitions per second over the window: each is a handoff from the previous holder. */
  handoffsPerSec: number;
  /** Commands each node ran per acquisition, over the window. */
  perNodePerAcquisition: number;
  /** Jain's index over the contenders' acquisitions in the window (1: all equal). */
  jain: number;
  /** The commands the nodes ran, summed, busiest first. */
  commands: [string, number][];
}

/**
 * `contenders` callers in one process loop on one key: acquire (waiting with the library's own
 * mechanism), release, again. Over `windowMs`, after `settleMs` of warm-up: acquisitions per
 * second, the commands each node ran per acquisition (what a handoff costs as contenders grow:
 * a release that wakes every waiter costs one round per waiter) and how evenly the
 * contenders were served.
 */
export async function contention(
  contender: Contender,
  urls: readonly string[],
  {
    contenders,
    windowMs,
    settleMs,
    key,
  }: { contenders: number; windowMs: number; settleMs: number; key: string },
): Promise<ContentionResult> {
  const counts = new Float64Array(contenders);
  let running = true;
  const loop = async (i: number) => {
    while (running) {
      try {
        const release = await contender.acquire(key, 10_000, 30_000);
        counts[i] = (counts[i] as number) + 1;
        await release();
      } catch {
        // A timed-out wait: try again while the scenario runs.
      }
    }
  };
  const loops = Array.from({ length: contenders }, (_, i) => loop(i));
  await sleep(settleMs);
  const before = Float64Array.from(counts);
  const { total, seconds, commands } = await commandsDuring(urls, windowMs);
  const during = Array.from(counts, (n, i) => n - (before[i] as number));
  running = false;
  await Promise.all(loops);
  const acquisitions = during.reduce((sum, n) => sum + n, 0);
  return {
    contenders,
    handoffsPerSec: acquisitions / seconds,
    requestsPerNodePerAcquisition:
      commands.reduce((sum, [name, n]) => sum + (REQUESTS.has(name) ? n : 0), 0) /
      urls.length /
      acquisitions,
    perNodePerAcquisition: acquisitions === 0 ? Infinity : total / urls.length / acquisitions,
    jain: jain(during),
    commands,
  };
}
