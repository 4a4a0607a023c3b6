import { z } from "zod";
import { LockAcquisitionError, LockConfigError, type LockError } from "../errors/index.js";
import { resourceName, ttlMilliseconds } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { keepOnQuit, type Lock } from "../redlock/lock.js";
import { Watchdog } from "../redlock/watchdog.js";
import type { Redlock } from "../redlock/redlock.js";

/** The slot size when none is given: cron's resolution, one second. */
export const DEFAULT_SLOT = 1_000;
/** How long a slot stays marked done after its run when `keepDone` is not given. */
export const DEFAULT_KEEP_DONE = 60_000;
/**
 * Split votes in a row (contenders that set their keys at the same moment, nobody with a
 * quorum) tried again, on top of those the acquisition itself retries. Giving up on a split
 * would leave the fire to nobody.
 */
const SPLIT_ROUNDS = 8;

const fireTime = z.union(
  [
    z.date().refine((d) => !Number.isNaN(d.getTime()), { error: "must be a valid Date" }),
    z.number().refine(Number.isFinite, { error: "must be a finite number of epoch ms" }),
  ],
  { error: "must be a Date or a number of epoch ms" },
);

/** Options of {@link LockManager.runOnce}. All durations in ms. */
export const runOnceOptionsSchema = z.strictObject({
  /**
   * When this fire is due, as the scheduler knows it (a Date or epoch ms). Default: now. It is
   * rounded to the nearest multiple of `slot`; the processes of a fleet name the same fire as
   * long as their fire times are less than `slot / 2` apart.
   */
  at: fireTime.optional(),
  /**
   * The slot size: fire times are rounded to the nearest multiple of it. At most the job's
   * period (two fires in one slot would run once between them). Default 1 000 (cron's
   * resolution); a job whose fires fall on multiples of its period (every 5 s, every minute,
   * hourly, ...) may use the period, which tolerates clock skew up to half of it.
   */
  slot: ttlMilliseconds().optional(),
  /** Time to live of the fire's lock while the routine runs; it is extended until the routine ends. Default: the manager's defaultTtl. */
  ttl: ttlMilliseconds().optional(),
  /**
   * How long the slot stays marked done after the routine ended, so that a process firing late
   * (a slower clock, a busy event loop) skips it too. Must exceed the lag between the fleet's
   * first and last fire of one slot. Default 60 000, or twice `slot` when that is longer.
   */
  keepDone: ttlMilliseconds().optional(),
});

/** Options of {@link LockManager.runOnce}: see {@link runOnceOptionsSchema} for each field. */
export type RunOnceOptions = z.input<typeof runOnceOptionsSchema>;

/** What the routine of a fire is handed. */
export interface RunOnceContext {
  /** The fire's slot: its fire time rounded to the slot size. */
  readonly slot: Date;
  /** The lock's name: the job and the slot, `job@2026-01-01T00:00:05.000Z`. */
  readonly name: string;
  /** Aborts when the fire's lock is lost while the routine runs (another process may then run it). */
  readonly signal: AbortSignal;
}

/** A fire's routine: its value is returned in the result. */
export type RunOnceRoutine<T> = (context: RunOnceContext) => T | Promise<T>;

/** The outcome of {@link LockManager.runOnce} for this process. */
export type RunOnceResult<T> =
  | {
      /** This process ran the fire. */
      readonly ran: true;
      /** What the routine returned. */
      readonly value: T;
      readonly slot: Date;
      readonly name: string;
      /**
       * The slot was left marked done on a quorum. False when the lock was lost during the run
       * or the nodes failed at its end: a process firing late may then run the fire again.
       */
      readonly markedDone: boolean;
    }
  | {
      /** Another process runs or ran the fire; this one skipped it at once. */
      readonly ran: false;
      readonly slot: Date;
      readonly name: string;
    };

const jobSchema = resourceName();
const routineSchema = z.custom<RunOnceRoutine<unknown>>((v) => typeof v === "function", {
  error: "must be a function",
});

/**
 * The slot of a fire at `at` for slots of `slot` ms: the nearest multiple of `slot`. Rounding
 * to the nearest rather than down keeps a fire that a scheduler runs a few ms early or late,
 * or that a process's clock sees a little off, in the same slot.
 */
export function slotOf(at: number, slot: number): number {
  return Math.round(at / slot) * slot;
}

/** What a fire needs of the LockManager (a narrow view, so that this module imports none of it). */
export interface RunOnceHost {
  readonly options: { readonly defaultTtl: number; readonly lockPrefix: string };
  readonly redlock: Pick<Redlock, "acquire">;
  emit(event: "lost", name: string, reason: LockError): boolean;
  /** Throws when the manager is closed. */
  assertOpen(): void;
  /** Counts a fire's lock in the manager's statistics: taken, not had (nodes), or lost. */
  count(outcome: "acquired" | "failed" | "lost"): void;
}

/**
 * Runs `routine` for one fire of `job` on exactly one process of those that call this for the
 * same fire: the one that takes the lock `job@<slot>`; the others skip at once. The lock is
 * extended while the routine runs and, once it ends (value or error), kept `keepDone` ms more
 * as the slot's done-marker, so that a process firing late skips too instead of running the
 * fire a second time. The routine's error is thrown after the slot is marked done: a failed
 * fire is not run again elsewhere.
 *
 * @throws LockConfigError for bad arguments; LockAcquisitionError when the nodes could not say
 *   whether another process has the fire (unreachable, quarantined after a restart): the fire
 *   did not run here.
 */
export async function runOncePerFire<T>(
  manager: RunOnceHost,
  job: string,
  routine: RunOnceRoutine<T>,
  options: RunOnceOptions = {},
): Promise<RunOnceResult<T>> {
  const jobName = parseOrThrow(jobSchema, job, "job");
  parseOrThrow(routineSchema, routine, "routine");
  const call = parseOrThrow(runOnceOptionsSchema, options, "options");
  const slotSize = call.slot ?? DEFAULT_SLOT;
  const keepDone = call.keepDone ?? Math.max(DEFAULT_KEEP_DONE, 2 * slotSize);
  const ttl = call.ttl ?? manager.options.defaultTtl;
  const at =
    call.at === undefined ? Date.now() : typeof call.at === "number" ? call.at : call.at.getTime();
  const slotTime = slotOf(at, slotSize);
  const slot = new Date(slotTime);
  if (Number.isNaN(slot.getTime())) {
    throw new LockConfigError([{ field: "options.at", message: "is out of the range of a Date" }]);
  }
  manager.assertOpen();
  const name = `${jobName}@${slot.toISOString()}`;
  let lock: Lock | undefined;
  try {
    lock = await take(manager, manager.options.lockPrefix + name, ttl);
  } catch (error) {
    if (error instanceof LockAcquisitionError) manager.count("failed");
    throw error;
  }
  if (lock === undefined) return { ran: false, slot, name };
  manager.count("acquired");

  const watchdog = new Watchdog(lock, ttl, Math.floor(ttl / 3), (reason: LockError) => {
    manager.count("lost");
    manager.emit("lost", name, reason);
  });
  let outcome: { readonly value: T } | { readonly error: unknown };
  try {
    outcome = { value: await routine({ slot, name, signal: watchdog.signal }) };
  } catch (error) {
    outcome = { error };
  }
  watchdog.stop();
  // Marked done whatever the routine's outcome: the fire was run (and failed) here.
  const markedDone = !watchdog.signal.aborted && (await markDone(lock, keepDone));
  if ("error" in outcome) throw outcome.error;
  const { value } = outcome;
  return { ran: true, value, slot, name, markedDone };
}

/** The fire's lock, or undefined when another process holds it. */
async function take(manager: RunOnceHost, key: string, ttl: number): Promise<Lock | undefined> {
  for (let round = 0; ; round++) {
    try {
      return await manager.redlock.acquire(key, ttl, { timeout: 0 });
    } catch (error) {
      if (!(error instanceof LockAcquisitionError)) throw error;
      if (error.reason === "held") return undefined;
      if (error.reason !== "split" || round >= SPLIT_ROUNDS) throw error;
    }
  }
}

async function markDone(lock: Lock, keepDone: number): Promise<boolean> {
  try {
    await lock.extend(keepDone);
    // The marker must outlive this process: a graceful shutdown (quit) leaves it in place.
    keepOnQuit(lock);
    return true;
  } catch {
    return false;
  }
}
