import { setTimeout as sleep } from "node:timers/promises";
import type * as QuorumLocks from "quorum-locks";
import { commandsDuring } from "./waiting-cost.js";

/** How the locks are kept: Redlock.using(), or the LockManager's getLock({ autoExtend }). */
export type HeldMode = "using" | "manager";

export interface HeldResult {
  mode: HeldMode;
  locks: number;
  ttl: number;
  /** Commands per second per node over the window, divided by the locks held. */
  perLock: number;
  /** Most live (ref'd) timers seen over the window, above the count before any lock. */
  timers: number;
  /** Manager only: live timers 100 ms after releasing every lock resolved, above the baseline. */
  timersAfterRelease: number | undefined;
  /** Locks lost (signals aborted) by the end of the window. */
  lost: number;
  /** Client CPU (user + system) per lock per second of holding, µs. */
  cpuPerLock: number;
  /** The commands sent over the window, summed over the nodes, busiest first. */
  commands: [string, number][];
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

/** The most live timers while `during` runs, sampled every 50 ms. */
async function mostTimers<T>(during: Promise<T>): Promise<{ value: T; most: number }> {
  let done = false;
  let most = 0;
  const sampling = (async () => {
    while (!done) {
      most = Math.max(most, timers());
      await sleep(50);
    }
  })();
  const value = await during;
  done = true;
  await sampling;
  return { value, most };
}

/**
 * `locks` locks auto-extended in one process (ttl `ttl`, on distinct keys), held over `windowMs`
 * after `settleMs`: commands per second per node per lock (counted by the nodes), the live
 * timers, the locks lost, and the client's CPU per lock. `lib` is the library to measure: the
 * workspace's build, or an earlier one (BENCH_BASELINE) measured in the same run.
 */
export async function held(
  lib: typeof QuorumLocks,
  urls: readonly string[],
  {
    mode,
    locks,
    ttl,
    windowMs,
    settleMs,
    prefix,
  }: {
    mode: HeldMode;
    locks: number;
    ttl: number;
    windowMs: number;
    settleMs: number;
    prefix: string;
  },
): Promise<HeldResult> {
  // The sampler's own timer, the window's sleep and the counting clients, without any lock.
  const { most: baseline } = await mostTimers(commandsDuring(urls, 300));
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const signals: AbortSignal[] = [];
  const keys = Array.from({ length: locks }, (_, i) => `${prefix}:${i}`);
  let done: Promise<unknown>;
  let close: () => Promise<void>;
  let releaseAll: () => Promise<void> = () => Promise.resolve();
  if (mode === "using") {
    const redlock = new lib.Redlock(urls, { retryCount: -1 });
    const routines: Promise<void>[] = [];
    // Taken in slices, so that the acquisitions themselves do not time out.
    for (let i = 0; i < keys.length; i += 500) {
      const slice = keys.slice(i, i + 500).map(
        (key) =>
          new Promise<void>((holding) => {
            routines.push(
              redlock
                .using(key, ttl, async (signal) => {
                  signals.push(signal);
                  holding();
                  await released;
                })
                .catch(() => undefined),
            );
          }),
      );
      await Promise.all(slice);
    }
    done = Promise.all(routines);
    close = () => redlock.quit();
  } else {
    const manager = new lib.LockManager({ redisNodes: [...urls] });
    const handles: QuorumLocks.LockHandle[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const slice = await Promise.all(
        keys
          .slice(i, i + 500)
          .map((key) => manager.getLock(key, { ttl, timeout: 60_000, autoExtend: true })),
      );
      handles.push(...slice);
    }
    for (const handle of handles) signals.push(handle.signal);
    done = released;
    releaseAll = async () => {
      for (let i = 0; i < handles.length; i += 500) {
        await Promise.all(
          handles.slice(i, i + 500).map((h) => h.release().catch(() => undefined)),
        );
      }
    };
    close = () => manager.close();
  }
  await sleep(settleMs);
  const cpuBefore = process.cpuUsage();
  const { value: window, most } = await mostTimers(commandsDuring(urls, windowMs));
  const cpu = process.cpuUsage(cpuBefore);
  const lost = signals.filter((s) => s.aborted).length;
  let timersAfterRelease: number | undefined;
  if (mode === "manager") {
    await releaseAll();
    await sleep(100);
    // Without the sampler and the window's sleep, which the baseline counted.
    timersAfterRelease = Math.max(0, timers() - (baseline - 2));
  }
  release();
  await done;
  await close();
  return {
    mode,
    locks,
    ttl,
    perLock: window.total / urls.length / window.seconds / locks,
    timers: Math.max(0, most - baseline),
    timersAfterRelease,
    lost,
    cpuPerLock: (cpu.user + cpu.system) / window.seconds / locks,
    commands: window.commands,
  };
}
