import { setTimeout as sleep } from "node:timers/promises";
import { LockManager } from "quorum-locks";
import { median, quantile } from "../stats.js";

/** One stampede scenario's outcome over several cold keys. */
export interface StampedeResult {
  /** The most fetcher runs any one key saw (1 is the goal). */
  readonly fetcherRuns: number;
  /** Callers' p99 latency of each burst, in ms. */
  readonly p99sMs: number[];
  /** The median of the bursts' p99s: one burst is one sample of a noisy machine. */
  readonly p99Ms: number;
}

/**
 * `callers` concurrent callers, spread over `managers` LockManagers (each with its own
 * connections, as separate processes would have), ask for a cold key whose fetcher takes
 * `fetchMs`; repeated on `rounds` fresh keys: fetcher runs per key, and the callers' p99.
 */
export async function stampede(
  urls: readonly string[],
  {
    callers,
    managers,
    fetchMs,
    rounds,
    key,
  }: { callers: number; managers: number; fetchMs: number; rounds: number; key: string },
): Promise<StampedeResult> {
  const instances = Array.from(
    { length: managers },
    () =>
      new LockManager({
        redisNodes: [...urls],
        defaultTimeout: 10_000,
      }),
  );
  try {
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
    let fetcherRuns = 0;
    const p99sMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let runs = 0;
      const fetcher = async () => {
        runs++;
        await sleep(fetchMs);
        return { price: 42 };
      };
      p99sMs.push(quantile(await burst(`${key}:${round}`, fetcher), 0.99));
      fetcherRuns = Math.max(fetcherRuns, runs);
    }
    return { fetcherRuns, p99sMs, p99Ms: median(p99sMs) };
  } finally {
    await Promise.all(instances.map((m) => m.close()));
  }
}
