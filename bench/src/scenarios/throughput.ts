import type { Contender } from "../contenders/index.js";

export class Stalled extends Error {}

/**
 * `workers` concurrent loops, each on its own key, acquire+release for `durationMs`.
 * Returns completed cycles per second. With `stallMs`, a cycle that takes longer than that
 * ends the run with {@link Stalled} (a library that waits for every node's reply never
 * finishes a cycle while a node is paused).
 */
export async function throughput(
  contender: Contender,
  {
    workers,
    durationMs,
    prefix,
    stallMs,
  }: { workers: number; durationMs: number; prefix: string; stallMs?: number },
): Promise<number> {
  let cycles = 0;
  const started = performance.now();
  const stopAt = started + durationMs;
  const cycle = async (key: string) => {
    const release = await contender.acquire(key, 10_000, 2_000);
    await release();
  };
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const key = `${prefix}:${w}`;
      while (performance.now() < stopAt) {
        if (stallMs === undefined) await cycle(key);
        else await guarded(cycle(key), stallMs);
        cycles++;
      }
    }),
  );
  return cycles / ((performance.now() - started) / 1_000);
}

function guarded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Stalled(`no cycle finished within ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}
