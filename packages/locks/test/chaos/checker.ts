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
}

export interface Violation {
  readonly kind:
    "overlap" | "token-order" | "missing-token" | "stale-write-accepted" | "logs-disagree";
  readonly message: string;
}

export interface CheckReport {
  readonly acquisitions: number;
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
  const holds = logs.workers.filter((r): r is HoldRecord => r.type === "hold");
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
  if (fencing) {
    const tokenOwner = new Map(
      holds.flatMap((h) => (h.token === undefined ? [] : [[h.token, holdName(h)] as const])),
    );
    violations.push(...checkTokens(holds), ...checkStore(logs.store, tokenOwner));
  }
  return {
    acquisitions: holds.length,
    longHolds: holds.filter((h) => h.long === true).length,
    acquisitionsByOwner: countBy(holds, (h) => h.owner),
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
