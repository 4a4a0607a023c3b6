import type { Contender } from "../contenders/index.js";

/** One caller, acquire+release back to back: each cycle's latency in ms. */
export async function latency(
  contender: Contender,
  { cycles, prefix }: { cycles: number; prefix: string },
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < cycles; i++) {
    const started = performance.now();
    const release = await contender.acquire(`${prefix}:${i % 16}`, 10_000, 2_000);
    await release();
    samples.push(performance.now() - started);
  }
  return samples;
}
