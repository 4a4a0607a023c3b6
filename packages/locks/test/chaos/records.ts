/**
 * The lines of a chaos run's logs (JSON, one record a line). Times are nanoseconds on the
 * machine's CLOCK_MONOTONIC, read with process.hrtime.bigint(): every process on the machine
 * reads the same clock, and it is the clock performance.now() (and so a lock's validity) is
 * measured on. performance.timeOrigin is not used: it is each process's own wall-clock reading
 * at start-up, so timeOrigin + now() differs between processes by their start-up error.
 */

/** One acquisition: the window in which the worker acted on its belief that it held the lock. */
export interface HoldRecord {
  readonly type: "hold";
  readonly owner: string;
  readonly seq: number;
  /** When acquire() had returned. */
  readonly start: bigint;
  /** min(validity end, start of release()). */
  readonly end: bigint;
  /** When the lock's validity ran out (ttl − elapsed − drift), as the lock computed it. */
  readonly validEnd: bigint;
  /**
   * When release() was called: the end of the worker's belief. A worker paused past its
   * validity believes longer than it holds; that is what fencing tokens are for.
   */
  readonly releasedAt: bigint;
  /** The lock's fencing token; absent when fencing is off. */
  readonly token?: bigint | undefined;
  readonly attempts: number;
  /** A long hold: it wrote until shortly before its validity ended (absent in older logs). */
  readonly long?: boolean | undefined;
  /** What was held: a lock (absent: a lock), permits of the semaphore, a read or a write lease. */
  readonly kind?: "lock" | "permit" | "read" | "write" | undefined;
  /** kind "permit": how many permits the hold took. */
  readonly permits?: number | undefined;
}

/** One write to the fenced store, made inside a hold after checking lock.isHeld(). */
export interface WriteRecord {
  readonly type: "write";
  readonly owner: string;
  /** The hold it belongs to. */
  readonly seq: number;
  /** `owner:seq:n`, as the store logs it. */
  readonly writer: string;
  readonly token?: bigint | undefined;
  /** When lock.isHeld() said yes. */
  readonly checkedAt: bigint;
  /** When the write was sent (after a simulated GC pause, if one hit in between). */
  readonly sentAt: bigint;
  readonly accepted: boolean;
}

/** A worker stopped itself (SIGSTOP) between checking the lock and writing: a GC pause. */
export interface PauseRecord {
  readonly type: "gc-pause";
  readonly owner: string;
  readonly seq: number;
  readonly at: bigint;
}

/** What a worker could not do; expected under faults, counted for the report. */
export interface WorkerSummary {
  readonly type: "summary";
  readonly owner: string;
  readonly acquireFailures: number;
  readonly releaseFailures: number;
}

export type WorkerRecord = HoldRecord | WriteRecord | PauseRecord | WorkerSummary;

/** One fault the nemesis injected and healed. */
export interface FaultRecord {
  readonly type: "fault";
  readonly kind: string;
  /** Node indexes, or worker names for worker pauses. */
  readonly targets: readonly string[];
  readonly detail: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** The fenced store's own log of writes, in the order it applied them. */
export interface StoreEntry {
  readonly writer: string;
  readonly token?: bigint | undefined;
  readonly accepted: boolean;
}

const BIGINT_FIELDS = new Set([
  "start",
  "end",
  "validEnd",
  "releasedAt",
  "token",
  "checkedAt",
  "sentAt",
  "at",
]);

export function formatRecord(record: object): string {
  return JSON.stringify(record, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}

export function parseRecords<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(
      (line) =>
        JSON.parse(line, (key, value: unknown) =>
          BIGINT_FIELDS.has(key) && typeof value === "string" ? BigInt(value) : value,
        ) as T,
    );
}

export const now = (): bigint => process.hrtime.bigint();
export const msToNs = (ms: number): bigint => BigInt(Math.ceil(ms * 1e6));
