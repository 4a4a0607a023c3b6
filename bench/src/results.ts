import type { ContentionResult } from "./scenarios/contention.js";
import type { HeldResult } from "./scenarios/held.js";
import type { StampedeResult } from "./scenarios/stampede.js";
import type { WaitersResult } from "./scenarios/waiters.js";

/** Everything one bench run measured; written to bench/results/latest.json. */
export interface Results {
  mode: "quick" | "full";
  date: string;
  nodes: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    node: string;
    redis: string;
    os: string;
  };
  versions: Record<string, string>;
  /** cycles/s per contender (median of alternating rounds), with every round's figure. */
  throughput: Record<string, { cyclesPerSec: number; rounds: number[] }>;
  /**
   * quorum-locks ÷ the raw node-redis floor, round by round (each pair measured moments apart):
   * the targets use their medians, which this machine's noise moves far less than absolutes.
   */
  paired: { throughput: number[]; latencyP50: number[]; latencyP99: number[] };
  /** sequential acquire+release, ms. */
  latency: Record<string, { p50: number; p99: number }>;
  /** release → waiter holds it, ms. */
  handoff: Record<string, { p50: number; p90: number }>;
  /** commands per second per node sent by a waiter blocked on a long-held lock. */
  waitingCost: Record<string, number>;
  /** W waiters in one process on distinct held keys (quorum-locks), by W. */
  waiters: Record<string, WaitersResult>;
  /** C contenders in one process looping on one key, by contender, then by C. */
  contention: Record<string, Record<string, ContentionResult>>;
  /**
   * Auto-extended locks held in one process, by how they are kept ("using", "manager"), and the
   * same for an earlier build when BENCH_BASELINE names one ("using (baseline)", ...).
   */
  held: Record<string, HeldResult>;
  /** 8 processes contending for one key. */
  fairness: Record<string, { sections: number[]; jain: number; maxWaitMs: number }>;
  /** throughput with 2 of 5 nodes paused, and its ratio to the healthy figure. */
  degraded: Record<string, { cyclesPerSec: number; ratio: number } | { stalled: true }>;
  /** 1,000 concurrent callers on a cold key whose fetcher takes 50 ms. */
  stampede: ({ callers: number; fetchMs: number } & StampedeResult) | undefined;
  memory: { cycles: number; heapGrowthMb: number; timersLeft: number } | undefined;
  fencingCost: { cyclesPerSec: number; ratio: number } | undefined;
  /**
   * Counting semaphores (`--only=semaphore`), by contender: acquire+release cycles/s with
   * `workers` callers, each on its own semaphore (`throughput`) or `limit` to a semaphore
   * (`throughputShared`: concurrent acquisitions of one semaphore, none waits); release of a permit → a blocked waiter holds it,
   * ms; commands/s per node (of the nodes it uses) from a waiter blocked on a full semaphore.
   */
  semaphore:
    | {
        limit: number;
        workers: number;
        throughput: Record<string, { cyclesPerSec: number; rounds: number[] }>;
        throughputShared: Record<string, { cyclesPerSec: number; rounds: number[] }>;
        handoff: Record<string, { p50: number; p90: number }>;
        waitingCost: Record<string, number>;
      }
    | undefined;
  targets: { id: string; target: string; value: string; pass: boolean }[];
}
