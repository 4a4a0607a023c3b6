import type { Contender } from "../contenders/index.js";

/**
 * `workers` concurrent loops, each on its own key, acquire+release for `durationMs`.
 * Returns completed cycles per second.
 */
export async function throughput(
  contender: Contender,
  { workers, durationMs, prefix }: { workers: number; durationMs: number; prefix: string },
): Promise<number> {
  let cycles = 0;
  const started = performance.now();
  const stopAt = started + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const key = `${prefix}:${w}`;
      while (performance.now() < stopAt) {
        const release = await contender.acquire(key, 10_000, 2_000);
        await release();
        cycles++;
      }
    }),
  );
  return cycles / ((performance.now() - started) / 1_000);
}
