import type { Contender } from "../contenders/index.js";
import { quantile } from "../stats.js";

/** One caller, acquire+release back to back; per-cycle latency quantiles in ms. */
export async function latency(
  contender: Contender,
  { cycles, prefix }: { cycles: number; prefix: string },
): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < cycles; i++) {
    const started = performance.now();
    const release = await contender.acquire(`${prefix}:${i % 16}`, 10_000, 2_000);
    await release();
    samples.push(performance.now() - started);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}
