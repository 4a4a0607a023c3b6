import { overlaps } from "../fixtures/intervals.js";
import type {
  FaultRecord,
  HoldRecord,
  PauseRecord,
  StoreEntry,
  WorkerRecord,
  WriteRecord,
} from "./records.js";

/** Everything a chaos run logged. */
export interface RunLogs {
  readonly workers: readonly WorkerRecord[];
  readonly faults: readonly FaultRecord[];
  /** The fenced store's log, in the order it applied writes. */
  readonly store: readonly StoreEntry[];
  /** A semaphore run's limit: never more permits than this may be held at once. */
  readonly limit?: number | undefined;
}

export interface Violation {
  readonly kind:
    | "overlap"
    | "over-limit"
    | "writer-overlap"
    | "token-order"
    | "missing-token"
    | "stale-write-accepted"
    | "logs-disagree";
  readonly message: string;
}

export interface CheckReport {
  readonly acquisitions: number;
  /** Holds by what they held (lock, permit, read, write). */
  readonly holdsByKind: Readonly<Record<string, number>>;
  /** Semaphore runs: the limit, and the most permits held at one instant (never above it). */
  readonly permits?: { readonly limit: number; readonly peak: number } | undefined;
  /** Read-write runs: the most readers that held their leases at one instant. */
  readonly peakReaders?: number | undefined;
  /** Holds that wrote until shortly before their validity ended (see WorkerConfig.longHolds). */
  readonly longHolds: number;
  readonly acquisitionsByOwner: Readonly<Record<string, number>>;
  readonly faults: Readonly<Record<string, number>>;
  /** Whether the holds carried fencing tokens (then tokens and the store are checked). */
  readonly fencing: boolean;
  readonly writes: {
    readonly total: number;
    readonly accepted: number;
    readonly rejected: number;
    /** Sent after the writer's validity had ended (a pause between its check and its write). */
    readonly late: number;
    readonly lateRejected: number;
    /**
     * Sent within validity yet rejected: a later holder wrote first, so the write reached the
     * store after its lock had run out (a stall after the check). Fencing at work, not a fault.
     */
    readonly inValidityRejected: number;
  };
  readonly gcPauses: number;
  /**
   * Holds whose belief (acquire to release) overlapped later holds: a paused worker still
   * believing in a lock that another one had taken. Not a violation (its validity had ended);
   * it shows the run produced the situation fencing exists for.
   */
  readonly beliefOverlaps: number;
  readonly acquireFailures: number;
  readonly releaseFailures: number;
  readonly violations: readonly Violation[];
}

const ms = (ns: bigint): string => (Number(ns) / 1e6).toFixed(3);
const holdName = (h: HoldRecord): string => `${h.owner}#${h.seq}`;

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** No two holds' windows (start to min(validity end, release)) may intersect. */
function checkOverlaps(holds: readonly HoldRecord[]): Violation[] {
  return overlaps(holds.filter((h) => h.end > h.start)).map(([a, b]) => ({
    kind: "overlap",
    message: `${holdName(b)} started at ${ms(b.start)} ms while ${holdName(a)} held the lock until ${ms(a.end)} ms (overlap ${ms(a.end - b.start)} ms)`,
  }));
}

/** A hold's window, where it acted on its belief that it held: start to min(validity, release). */
const acted = (h: HoldRecord): boolean => h.end > h.start;

/**
 * Never more than `limit` permits held at one instant: a sweep over the permit holds' windows
 * (a window ending at the instant another starts does not overlap it). Each instant the count
 * goes above the limit is one violation, naming the holds then in force.
 */
function checkPermits(
  holds: readonly HoldRecord[],
  limit: number,
): { peak: number; violations: Violation[] } {
  const edges: [bigint, number, HoldRecord][] = [];
  for (const h of holds.filter(acted)) {
    edges.push([h.start, h.permits ?? 1, h], [h.end, -(h.permits ?? 1), h]);
  }
  edges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const inForce = new Set<HoldRecord>();
  const violations: Violation[] = [];
  let held = 0;
  let peak = 0;
  for (const [at, delta, hold] of edges) {
    held += delta;
    if (delta > 0) inForce.add(hold);
    else inForce.delete(hold);
    peak = Math.max(peak, held);
    if (delta > 0 && held > limit) {
      const names = [...inForce].map((h) => `${holdName(h)} (${h.permits ?? 1})`).join(", ");
      violations.push({
        kind: "over-limit",
        message: `${held} permits held at ${ms(at)} ms, limit ${limit}: ${names}`,
      });
    }
  }
  return { peak, violations };
}

/** A writer's window overlaps no other hold's, reader's or writer's. */
function checkWriters(holds: readonly HoldRecord[]): Violation[] {
  const windows = holds.filter(acted);
  const violations: Violation[] = [];
  for (const w of windows) {
    if (w.kind !== "write") continue;
    for (const other of windows) {
      if (other === w || other.start >= w.end || w.start >= other.end) continue;
      // Each pair of writers once.
      if (other.kind === "write" && holdName(other) < holdName(w)) continue;
      violations.push({
        kind: "writer-overlap",
        message: `writer ${holdName(w)} (${ms(w.start)}–${ms(w.end)} ms) overlaps ${other.kind ?? "lock"} ${holdName(other)} (${ms(other.start)}–${ms(other.end)} ms)`,
      });
    }
  }
  return violations;
}

/** The most holds in force at one instant. */
function peakOf(holds: readonly HoldRecord[]): number {
  return checkPermits(
    holds.map((h) => ({ ...h, permits: 1 })),
    Number.MAX_SAFE_INTEGER,
  ).peak;
}

/**
 * Each holder's token is larger than the token of the holder before it. Holds whose window is
 * empty (paused before they could act, then no longer valid) are left out: they wrote nothing,
 * and their start, logged after the pause, would misplace them.
 */
function checkTokens(holds: readonly HoldRecord[]): Violation[] {
  const violations: Violation[] = [];
  const ordered = holds
    .filter((h) => h.end > h.start)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let previous: HoldRecord | undefined;
  for (const hold of ordered) {
    if (hold.token === undefined) {
      violations.push({ kind: "missing-token", message: `${holdName(hold)} has no fencing token` });
      continue;
    }
    if (previous?.token !== undefined && hold.token <= previous.token) {
      violations.push({
        kind: "token-order",
        message: `${holdName(hold)} got token ${hold.token}, not larger than ${previous.token} of ${holdName(previous)} before it`,
      });
    }
    previous = hold;
  }
  return violations;
}

/**
 * The store's log, replayed independently of its script: no write may be accepted after a
 * write with a larger token was, and each token belongs to a single hold.
 */
function checkStore(store: readonly StoreEntry[], tokenOwner: Map<bigint, string>): Violation[] {
  const violations: Violation[] = [];
  let largest: StoreEntry | undefined;
  for (const entry of store) {
    if (!entry.accepted) continue;
    const token = entry.token;
    if (token === undefined) continue;
    if (largest?.token !== undefined && token < largest.token) {
      violations.push({
        kind: "stale-write-accepted",
        message: `the store accepted ${entry.writer} with token ${token} after ${largest.writer} with token ${largest.token}`,
      });
      continue;
    }
    const [owner = "", seq = ""] = entry.writer.split(":");
    const holder = tokenOwner.get(token);
    if (holder !== undefined && holder !== `${owner}#${seq}`) {
      violations.push({
        kind: "token-order",
        message: `token ${token} was used by ${holder} and by ${entry.writer}`,
      });
    }
    largest = entry;
  }
  return violations;
}

/** The workers' view of each write agrees with the store's. */
function checkAgreement(writes: readonly WriteRecord[], store: readonly StoreEntry[]): Violation[] {
  const byWriter = new Map(store.map((e) => [e.writer, e]));
  const violations: Violation[] = [];
  for (const write of writes) {
    const entry = byWriter.get(write.writer);
    if (entry?.accepted !== write.accepted) {
      violations.push({
        kind: "logs-disagree",
        message: `${write.writer}: the worker logged ${write.accepted ? "accepted" : "rejected"}, the store ${entry === undefined ? "has no such write" : entry.accepted ? "accepted it" : "rejected it"}`,
      });
    }
  }
  return violations;
}

/** Checks a run's logs; a correct lock (with fencing, a correct token sequence) yields no violations. */
export function checkRun(logs: RunLogs): CheckReport {
  const all = logs.workers.filter((r): r is HoldRecord => r.type === "hold");
  // Locks are exclusive (and fenced); permits count against the limit; leases exclude writers.
  const holds = all.filter((h) => h.kind === undefined || h.kind === "lock");
  const permitHolds = all.filter((h) => h.kind === "permit");
  const leaseHolds = all.filter((h) => h.kind === "read" || h.kind === "write");
  const writes = logs.workers.filter((r): r is WriteRecord => r.type === "write");
  const pauses = logs.workers.filter((r): r is PauseRecord => r.type === "gc-pause");
  const summaries = logs.workers.filter((r) => r.type === "summary");
  const holdByName = new Map(holds.map((h) => [holdName(h), h]));
  const fencing = holds.some((h) => h.token !== undefined);
  const late = new Set(
    writes.filter((w) => {
      const hold = holdByName.get(`${w.owner}#${w.seq}`);
      return hold !== undefined && w.sentAt > hold.validEnd;
    }),
  );
  const violations = [...checkOverlaps(holds), ...checkAgreement(writes, logs.store)];
  let permits: CheckReport["permits"];
  if (permitHolds.length > 0) {
    // A run without a recorded limit is checked against 1: the strictest reading.
    const limit = logs.limit ?? 1;
    const checked = checkPermits(permitHolds, limit);
    permits = { limit, peak: checked.peak };
    violations.push(...checked.violations);
  }
  violations.push(...checkWriters(leaseHolds));
  if (fencing) {
    const tokenOwner = new Map(
      holds.flatMap((h) => (h.token === undefined ? [] : [[h.token, holdName(h)] as const])),
    );
    violations.push(...checkTokens(holds), ...checkStore(logs.store, tokenOwner));
  }
  const readHolds = leaseHolds.filter((h) => h.kind === "read");
  return {
    acquisitions: all.length,
    holdsByKind: countBy(all, (h) => h.kind ?? "lock"),
    ...(permits === undefined ? {} : { permits }),
    ...(readHolds.length === 0 ? {} : { peakReaders: peakOf(readHolds) }),
    longHolds: all.filter((h) => h.long === true).length,
    acquisitionsByOwner: countBy(all, (h) => h.owner),
    faults: countBy(logs.faults, (f) => f.kind),
    fencing,
    writes: {
      total: writes.length,
      accepted: writes.filter((w) => w.accepted).length,
      rejected: writes.filter((w) => !w.accepted).length,
      late: late.size,
      lateRejected: [...late].filter((w) => !w.accepted).length,
      inValidityRejected: writes.filter((w) => !w.accepted && !late.has(w)).length,
    },
    gcPauses: pauses.length,
    beliefOverlaps: new Set(
      overlaps(holds.map((h) => ({ ...h, end: h.releasedAt }))).map(([early]) => holdName(early)),
    ).size,
    acquireFailures: summaries.reduce((n, s) => n + s.acquireFailures, 0),
    releaseFailures: summaries.reduce((n, s) => n + s.releaseFailures, 0),
    violations,
  };
}

/** The semaphore and read-write runs' line: holds by kind, the peaks (none for a mutex run). */
function holdsLine(report: CheckReport): string[] {
  const kinds = Object.keys(report.holdsByKind);
  if (kinds.every((k) => k === "lock")) return [];
  const byKind = Object.entries(report.holdsByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const permits =
    report.permits === undefined
      ? ""
      : `; at most ${report.permits.peak} permits held at once, limit ${report.permits.limit}`;
  const readers =
    report.peakReaders === undefined ? "" : `; at most ${report.peakReaders} readers at once`;
  return [`holds: ${byKind}${permits}${readers}`];
}

/** The report as text, for the CLI and the test's output. */
export function formatReport(report: CheckReport): string {
  const faults = Object.entries(report.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  const w = report.writes;
  const lines = [
    `acquisitions: ${report.acquisitions} (${Object.entries(report.acquisitionsByOwner)
      .map(([o, n]) => `${o} ${n}`)
      .join(", ")}; ${report.longHolds} long)`,
    ...holdsLine(report),
    `faults: ${faults === "" ? "none" : faults}`,
    `fencing: ${report.fencing ? "on" : "off (tokens and the store's order not checked)"}`,
    `writes: ${w.total} (${w.accepted} accepted, ${w.rejected} rejected); late writes after a pause: ${w.late} (${w.lateRejected} rejected); rejected within validity: ${w.inValidityRejected}`,
    `gc pauses: ${report.gcPauses} (holders who still believed while another held: ${report.beliefOverlaps}); failed acquires: ${report.acquireFailures}; failed releases: ${report.releaseFailures}`,
    `violations: ${report.violations.length}`,
    ...report.violations.slice(0, 20).map((v) => `  ${v.kind}: ${v.message}`),
  ];
  if (report.violations.length > 20) lines.push(`  … ${report.violations.length - 20} more`);
  return lines.join("\n");
}
