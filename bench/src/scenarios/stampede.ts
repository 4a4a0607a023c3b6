import { setTimeout as sleep } from "node:timers/promises";
import { LockManager } from "quorum-locks";
import { quantile } from "../stats.js";

/**
 * `callers` concurrent callers, spread over `managers` LockManagers (each with its own
 * connections, as separate processes would have), ask for one cold key whose fetcher takes
 * `fetchMs`: how many times the fetcher ran, and the callers' p99 latency.
 */
export async function stampede(
  urls: readonly string[],
  {
    callers,
    managers,
    fetchMs,
    key,
  }: { callers: number; managers: number; fetchMs: number; key: string },
): Promise<{ fetcherRuns: number; p99Ms: number }> {
  const instances = Array.from(
    { length: managers },
    () => new LockManager({ redisNodes: [...urls], defaultTimeout: 10_000 }),
  );
  try {
    let runs = 0;
    const burst = (k: string, fetch: () => Promise<unknown>) =>
      Promise.all(
        Array.from({ length: callers }, async (_, i) => {
          const started = performance.now();
          await instances[i % managers]?.protectCacheStampede(k, fetch, { ttl: 60_000 });
          return performance.now() - started;
        }),
      );
    // Warm up connections, scripts and the JIT on other keys: the measurement is the stampede on
    // a cold key, not a cold process.
    for (let w = 0; w < 3; w++) await burst(`${key}:warm${w}`, () => sleep(fetchMs).then(() => w));
    const fetcher = async () => {
      runs++;
      await sleep(fetchMs);
      return { price: 42 };
    };
    const latencies = await burst(key, fetcher);
    return { fetcherRuns: runs, p99Ms: quantile(latencies, 0.99) };
  } finally {
    await Promise.all(instances.map((m) => m.close()));
  }
}
