import type { Results } from "../results.js";
import { median } from "../stats.js";

const OURS = "quorum-locks";

type Target = Results["targets"][number];

function medianOf(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : median(values);
}

function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? Number.NaN : a / b;
}

const x = (v: number) => `${v.toFixed(2)}×`;
const ms = (v: number) => `${v.toFixed(2)} ms`;

/** The targets, each as a ratio or bound from this run. */
export function evaluateTargets(r: Results): Target[] {
  const targets: Target[] = [];
  const add = (id: string, target: string, value: number, pass: boolean, shown: string) => {
    if (!Number.isNaN(value)) targets.push({ id, target, value: shown, pass });
  };
  const tp = (name: string) => r.throughput[name]?.cyclesPerSec;
  const ours = tp(OURS);
  // Peers are the other libraries: not the raw floors, nor our own variants (fenced, fair).
  const peers = Object.keys(r.throughput).filter(
    (n) => !n.startsWith(OURS) && !n.startsWith("raw"),
  );
  const bestPeer = Math.max(...peers.map((n) => tp(n) ?? 0));
  const vsRedlock = ratio(ours, tp("node-redlock"));
  add("throughput/node-redlock", "≥ 3× node-redlock", vsRedlock, vsRedlock >= 3, x(vsRedlock));
  const vsBest = ratio(ours, bestPeer);
  add("throughput/best-peer", "≥ 1.5× the best peer", vsBest, vsBest >= 1.5, x(vsBest));
  const vsFloor = medianOf(r.paired.throughput);
  add(
    "throughput/floor",
    "≥ 0.85× the raw node-redis floor (median of paired rounds)",
    vsFloor,
    vsFloor >= 0.85,
    x(vsFloor),
  );

  const p50 = medianOf(r.paired.latencyP50);
  add("latency/p50", "p50 ≤ 1.15× the floor's (median of paired rounds)", p50, p50 <= 1.15, x(p50));
  const p99 = medianOf(r.paired.latencyP99);
  add("latency/p99", "p99 ≤ 1.5× the floor's (median of paired rounds)", p99, p99 <= 1.5, x(p99));

  const handoff = r.handoff[OURS];
  if (handoff !== undefined) {
    add("handoff/p50", "median ≤ 2 ms", handoff.p50, handoff.p50 <= 2, ms(handoff.p50));
    add("handoff/p90", "p90 ≤ 5 ms", handoff.p90, handoff.p90 <= 5, ms(handoff.p90));
  }
  const waiting = r.waitingCost[OURS];
  if (waiting !== undefined) {
    add(
      "waiting/commands",
      "≤ 2 commands/s per node",
      waiting,
      waiting <= 2,
      `${waiting.toFixed(2)}/s`,
    );
  }
  const crowd = r.contention[OURS]?.["128"];
  if (crowd !== undefined) {
    const cost = crowd.requestsPerNodePerAcquisition;
    add(
      "contention/128/cost",
      "128 contenders on one key: ≤ 6 requests per node per acquisition",
      cost,
      cost <= 6,
      cost.toFixed(1),
    );
  }
  const fairCrowd = r.contention[`${OURS} (fair)`]?.["128"];
  if (fairCrowd !== undefined) {
    add(
      "contention/128/fair-jain",
      "128 contenders, fair mode: Jain ≥ 0.9",
      fairCrowd.jain,
      fairCrowd.jain >= 0.9,
      fairCrowd.jain.toFixed(2),
    );
  }
  for (const [count, w] of Object.entries(r.waiters)) {
    const id = `waiters/${count}`;
    add(
      `${id}/all-acquire`,
      `${count} waiters on distinct keys: every one acquires after release`,
      w.acquired,
      w.acquired === w.waiters,
      `${w.acquired}/${w.waiters}`,
    );
    add(`${id}/handoff-p99`, "handoff p99 ≤ 1 s", w.p99, w.p99 <= 1_000, ms(w.p99));
    add(
      `${id}/cost`,
      "≤ 0.01 commands/s per node per blocked waiter",
      w.perWaiter,
      w.perWaiter <= 0.01,
      `${w.perWaiter.toFixed(4)}/s`,
    );
  }
  for (const mode of ["using", "manager"]) {
    const h = r.held[mode];
    if (h === undefined) continue;
    const id = `held/${mode}`;
    const n = h.locks.toLocaleString("en");
    add(
      `${id}/requests`,
      `${n} auto-extended locks (${mode}): ≤ 0.05 requests/s per node per lock`,
      h.perLock,
      h.perLock <= 0.05,
      `${h.perLock.toFixed(4)}/s`,
    );
    const live = Math.max(h.timers, h.timersAfterRelease ?? 0);
    add(`${id}/timers`, "≤ 10 live timers in all", live, live <= 10, String(live));
    add(`${id}/lost`, "0 lost", h.lost, h.lost === 0, `${h.lost}/${h.locks}`);
    const before = r.held[`${mode} (baseline)`];
    if (before !== undefined) {
      const share = h.cpuPerLock / before.cpuPerLock;
      add(
        `${id}/cpu`,
        "client CPU per lock ≤ 1/4 of the baseline build's (same run)",
        share,
        share <= 0.25,
        `${h.cpuPerLock.toFixed(1)} vs ${before.cpuPerLock.toFixed(1)} µs/s per lock (${x(share)})`,
      );
    }
  }
  const fair = r.fairness[`${OURS} (fair)`];
  if (fair !== undefined) {
    add(
      "fairness/fair-jain",
      "fair mode Jain ≥ 0.95",
      fair.jain,
      fair.jain >= 0.95,
      fair.jain.toFixed(3),
    );
  }
  const plain = r.fairness[OURS];
  if (plain !== undefined) {
    const least = Math.min(...plain.sections);
    add(
      "fairness/no-starvation",
      "every process completes sections",
      least,
      least > 0,
      `min ${least} sections, Jain ${plain.jain.toFixed(3)}, max wait ${plain.maxWaitMs.toFixed(0)} ms`,
    );
  }
  const degraded = r.degraded[OURS];
  if (degraded !== undefined) {
    const value = "stalled" in degraded ? 0 : degraded.ratio;
    add("degraded/2-of-5-paused", "≥ 0.70× healthy", value, value >= 0.7, x(value));
  }
  const s = r.stampede;
  if (s !== undefined) {
    add(
      "stampede/fetcher-runs",
      "one fetcher run per key",
      s.fetcherRuns,
      s.fetcherRuns === 1,
      String(s.fetcherRuns),
    );
    add(
      "stampede/p99",
      `p99 ≤ fetch + 10 ms (${s.fetchMs + 10} ms; median of bursts)`,
      s.p99Ms,
      s.p99Ms <= s.fetchMs + 10,
      ms(s.p99Ms),
    );
  }
  const sem = r.semaphore;
  if (sem !== undefined) {
    for (const [id, by, how] of [
      ["semaphore/throughput", sem.throughput, "a semaphore each"],
      ["semaphore/throughput-shared", sem.throughputShared, `${sem.limit} to a semaphore`],
    ] as const) {
      const vs = ratio(
        by[OURS]?.cyclesPerSec,
        by["redis-semaphore RedlockSemaphore"]?.cyclesPerSec,
      );
      add(
        id,
        `semaphore throughput (limit ${sem.limit}, ${how}): ≥ 3× redis-semaphore's RedlockSemaphore`,
        vs,
        vs >= 3,
        x(vs),
      );
    }
    const h = sem.handoff[OURS];
    if (h !== undefined) {
      add("semaphore/handoff-p50", "semaphore handoff median ≤ 2 ms", h.p50, h.p50 <= 2, ms(h.p50));
    }
    const w = sem.waitingCost[OURS];
    if (w !== undefined) {
      add(
        "semaphore/waiting",
        "waiter on a full semaphore: ≤ 2 commands/s per node",
        w,
        w <= 2,
        `${w.toFixed(2)}/s`,
      );
    }
  }
  const m = r.memory;
  if (m !== undefined) {
    add(
      "memory/heap",
      `< 5 MB heap growth over ${m.cycles.toLocaleString("en")} cycles`,
      m.heapGrowthMb,
      m.heapGrowthMb < 5,
      `${m.heapGrowthMb.toFixed(2)} MB`,
    );
    add(
      "memory/timers",
      "no timers left behind",
      m.timersLeft,
      m.timersLeft <= 0,
      String(m.timersLeft),
    );
  }
  return targets;
}
