import { setTimeout as sleep } from "node:timers/promises";
import type * as QuorumLocks from "quorum-locks";
import { commandsDuring } from "./waiting-cost.js";

/**
 * What the lock scripts call inside (extend, extend-many, their marker): INFO commandstats
 * counts these as well as the clients' own commands. SET stays counted: the manager's lock info
 * writes are requests (a script sets a key only to heal a node that lost it).
 */
const INSIDE_SCRIPTS = new Set(["get", "pexpire", "pttl", "time", "hmget", "hset", "exists"]);

/** How the locks are kept: Redlock.using(), or the LockManager's getLock({ autoExtend }). */
export type HeldMode = "using" | "manager";

export interface HeldResult {
  mode: HeldMode;
  locks: number;
  ttl: number;
  /**
   * Requests per second per node over the window, divided by the locks held: the commands the
   * nodes ran, less those the lock scripts run inside (INFO commandstats counts both).
   */
  perLock: number;
  /** Most live (ref'd) timers seen over the window, above the count before any lock. */
  timers: number;
  /** Manager only: live timers 100 ms after releasing every lock resolved, above the baseline. */
  timersAfterRelease: number | undefined;
  /** Locks lost (signals aborted) by the end of the window. */
  lost: number;
  /** Why the first lost lock was lost, when one was. */
  firstLost: string | undefined;
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
  const state = { done: false };
  let most = 0;
  const sampling = (async () => {
    while (!state.done) {
      most = Math.max(most, timers());
      await sleep(50);
    }
  })();
  const value = await during;
  state.done = true;
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
  let firstLost: string | undefined;
  const heldSince = performance.now();
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
    for (const signal of signals) {
      signal.addEventListener("abort", () => {
        firstLost ??= `${(signal.reason as Error).message} after ${Math.round(performance.now() - heldSince)} ms`;
      });
    }
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
    for (const signal of signals) {
      signal.addEventListener("abort", () => {
        firstLost ??= `${(signal.reason as Error).message} after ${Math.round(performance.now() - heldSince)} ms`;
      });
    }
    done = released;
    releaseAll = async () => {
      for (let i = 0; i < handles.length; i += 500) {
        await Promise.all(handles.slice(i, i + 500).map((h) => h.release().catch(() => undefined)));
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
    perLock:
      window.commands.reduce((sum, [name, n]) => sum + (INSIDE_SCRIPTS.has(name) ? 0 : n), 0) /
      urls.length /
      window.seconds /
      locks,
    timers: Math.max(0, most - baseline),
    timersAfterRelease,
    lost,
    firstLost,
    cpuPerLock: (cpu.user + cpu.system) / window.seconds / locks,
    commands: window.commands,
  };
}
