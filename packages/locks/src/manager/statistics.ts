import type { CacheCounters } from "../cache/stampede.js";
import type { RedisNode } from "../client/redis-node.js";
import { WaitHistogram, type WaitSummary } from "./wait-histogram.js";

/** Lock counters: every call is counted, nothing is sampled. */
export interface LockCounters {
  /** Locks obtained (getLock, tryLock, withLock, decorators, runOnce fires, stampede refresh locks), permits and read/write leases. */
  acquisitions: number;
  /** Attempts that ended without the lock for another reason than the timeout (retries ran out, nodes down). */
  failures: number;
  /** Attempts that ended because their timeout ran out. */
  timeouts: number;
  /** DeadlockErrors thrown: the async context already held the name. */
  deadlocks: number;
  /** Locks released by their holder. */
  releases: number;
  /** Successful extensions, by extendLock() and by the watchdog of autoExtend locks. */
  extensions: number;
  /** Locks whose watchdog could not keep them (their signal was aborted). */
  lostLocks: number;
}

/** The primitives the manager holds: mutexes, semaphore permits, read and write leases. */
export type HoldKind = "lock" | "permit" | "read" | "write";

/** Acquisitions per primitive; they add up to `locks.acquisitions`. */
export type KindCounters = Record<HoldKind, number>;

/** One node's state as the manager sees it. */
export interface NodeStatistics {
  /** host:port. */
  readonly node: string;
  /** Commands that failed on the node (lock scripts, lock info). */
  readonly commandErrors: number;
  /** Client errors (refused or dropped connections) of clients the manager created. */
  readonly connectionErrors: number;
  /** False while the node leaves commands unanswered for longer than the command timeout. */
  readonly responsive: boolean;
}

/** What `LockManager.getStatistics()` returns. */
export interface ManagerStatistics {
  /** Counters over every primitive (locks, permits, read and write leases). */
  readonly locks: Readonly<LockCounters>;
  /** Acquisitions by primitive: withLock & co. count as `lock`, withPermit as `permit`, ... */
  readonly kinds: Readonly<KindCounters>;
  readonly cache: Readonly<CacheCounters> & { readonly inFlight: number };
  /** Lock acquisitions and cache waits, timed from the call to its outcome. */
  readonly waits: WaitSummary;
  readonly nodes: readonly NodeStatistics[];
  /** How many nodes must agree. */
  readonly quorum: number;
  readonly defaultTtl: number;
  /** Locks this manager holds now through tryLock(). */
  readonly heldByName: number;
}

/** The manager's counters; they only ever grow. */
export class Statistics {
  readonly locks: LockCounters = {
    acquisitions: 0,
    failures: 0,
    timeouts: 0,
    deadlocks: 0,
    releases: 0,
    extensions: 0,
    lostLocks: 0,
  };
  readonly kinds: KindCounters = { lock: 0, permit: 0, read: 0, write: 0 };
  readonly cache: CacheCounters = {
    hits: 0,
    misses: 0,
    staleServed: 0,
    fetcherRuns: 0,
    fetcherErrors: 0,
    writes: 0,
    writesRejected: 0,
    storeErrors: 0,
    degraded: 0,
  };
  readonly waits = new WaitHistogram();
  readonly #connectionErrors = new Map<string, number>();

  /** Counts an acquisition of a `kind`. */
  acquired(kind: HoldKind): void {
    this.locks.acquisitions++;
    this.kinds[kind]++;
  }

  connectionError(node: string): void {
    this.#connectionErrors.set(node, (this.#connectionErrors.get(node) ?? 0) + 1);
  }

  nodes(nodes: readonly RedisNode[]): NodeStatistics[] {
    const now = performance.now();
    return nodes.map((n) => ({
      node: n.label,
      commandErrors: n.errors,
      connectionErrors: this.#connectionErrors.get(n.label) ?? 0,
      responsive: n.isResponsive(now),
    }));
  }
}
