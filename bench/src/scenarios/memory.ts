import type { Contender } from "../contenders/index.js";

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

/**
 * `cycles` acquire/release cycles on 16 keys: heap growth after GC, and timers left behind.
 */
export async function memory(
  contender: Contender,
  { cycles, prefix }: { cycles: number; prefix: string },
): Promise<{ heapGrowthMb: number; timersLeft: number; listenersLeft: number }> {
  // Warm up first so that lazily created structures (connections, script caches) are counted
  // as baseline, not growth.
  for (let i = 0; i < 2_000; i++)
    await (
      await contender.acquire(`${prefix}:${i % 16}`, 10_000, 1_000)
    )();
  const heapBefore = collect();
  const timersBefore = timers();
  const workers = 16;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (done < cycles) {
        done++;
        const release = await contender.acquire(`${prefix}:${w}`, 10_000, 1_000);
        await release();
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 50));
  return {
    heapGrowthMb: (collect() - heapBefore) / 2 ** 20,
    timersLeft: timers() - timersBefore,
    listenersLeft: process.listenerCount("exit") + process.listenerCount("uncaughtException"),
  };
}
