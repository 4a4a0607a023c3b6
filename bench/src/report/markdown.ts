import type { Results } from "../results.js";

const FLOOR = "raw node-redis (floor)";

function cell(value: number | undefined, digits: number, base?: number): string {
  if (value === undefined || Number.isNaN(value)) return "—";
  const shown = value.toFixed(digits);
  return base === undefined || base === 0 ? shown : `${shown} (${(value / base).toFixed(2)}×)`;
}

/** The run as markdown: one row per contender, then the targets. */
export function markdown(r: Results): string {
  const names = [
    ...new Set([
      ...Object.keys(r.throughput),
      ...Object.keys(r.handoff),
      ...Object.keys(r.fairness),
    ]),
  ];
  const floorTp = r.throughput[FLOOR]?.cyclesPerSec;
  const floorP50 = r.latency[FLOOR]?.p50;
  const floorP99 = r.latency[FLOOR]?.p99;
  const lines = [
    `Run: ${r.mode}, ${r.date.slice(0, 10)} — ${r.nodes} local Redis ${r.machine.redis} nodes; ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GiB; Node ${r.machine.node}; ${r.machine.os}.`,
  ];
  // `--only=semaphore` (say) measures none of the mutex columns: no empty table.
  if (names.length > 0) {
    lines.push(
      "",
      "| library | throughput, cycles/s (× floor) | latency p50, ms (× floor) | latency p99, ms (× floor) | handoff p50 / p90, ms | waiting, commands/s/node | 2 of 5 paused | fairness: Jain, max wait |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
    );
  }
  for (const name of names) {
    const handoff = r.handoff[name];
    const degraded = r.degraded[name];
    const fair = r.fairness[name];
    lines.push(
      `| ${name}${r.versions[name] === undefined ? "" : ` <br><sub>${r.versions[name]}</sub>`} | ${cell(r.throughput[name]?.cyclesPerSec, 0, floorTp)} | ${cell(r.latency[name]?.p50, 3, floorP50)} | ${cell(r.latency[name]?.p99, 3, floorP99)} | ${handoff === undefined ? "—" : `${handoff.p50.toFixed(2)} / ${handoff.p90.toFixed(2)}`} | ${cell(r.waitingCost[name], 2)} | ${degraded === undefined ? "—" : "stalled" in degraded ? "stalls" : `${(degraded.ratio * 100).toFixed(0)} % of healthy`} | ${fair === undefined ? "—" : `${fair.jain.toFixed(3)}, ${fair.maxWaitMs.toFixed(0)} ms`} |`,
    );
  }
  const crowds = Object.entries(r.contention);
  if (crowds.length > 0) {
    lines.push(
      "",
      "Contention: C contenders in one process looping acquire/release on one key (handoffs/s; requests per node per acquisition: script calls, pub/sub and connection commands; commands, with those the scripts ran; Jain).",
      "",
      "| library | contenders | handoffs/s | requests/node/acquisition | commands/node/acquisition | Jain |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const [name, byCount] of crowds) {
      for (const [count, c] of Object.entries(byCount)) {
        lines.push(
          `| ${name} | ${count} | ${c.handoffsPerSec.toFixed(0)} | ${c.requestsPerNodePerAcquisition.toFixed(1)} | ${c.perNodePerAcquisition.toFixed(1)} | ${c.jain.toFixed(2)} |`,
        );
      }
    }
  }
  if (r.semaphore !== undefined) {
    const sem = r.semaphore;
    lines.push(
      "",
      `Semaphores: limit ${sem.limit}; throughput with ${sem.workers} concurrent callers, each on its own semaphore or ${sem.limit} to a semaphore (none waits for a permit); handoff from a permit's release to a blocked waiter holding it; commands/s per node (of the nodes it uses) from a waiter on a full semaphore.`,
      "",
      `| semaphore | throughput, cycles/s | ${sem.limit} callers to a semaphore, cycles/s | handoff p50 / p90, ms | waiting, commands/s/node |`,
      "| --- | --- | --- | --- | --- |",
    );
    const names = [
      ...new Set([
        ...Object.keys(sem.throughput),
        ...Object.keys(sem.handoff),
        ...Object.keys(sem.waitingCost),
      ]),
    ];
    for (const name of names) {
      const h = sem.handoff[name];
      lines.push(
        `| ${name}${r.versions[name] === undefined ? "" : ` <br><sub>${r.versions[name]}</sub>`} | ${cell(sem.throughput[name]?.cyclesPerSec, 0)} | ${cell(sem.throughputShared[name]?.cyclesPerSec, 0)} | ${h === undefined ? "—" : `${h.p50.toFixed(2)} / ${h.p90.toFixed(2)}`} | ${cell(sem.waitingCost[name], 2)} |`,
      );
    }
  }
  if (r.stampede !== undefined) {
    const s = r.stampede;
    lines.push(
      "",
      `Stampede (quorum-locks): ${s.callers} concurrent callers on a cold key, fetcher ${s.fetchMs} ms: at most ${s.fetcherRuns} fetcher run(s) per key; caller p99 ${s.p99Ms.toFixed(1)} ms (median of ${s.p99sMs.length} bursts on fresh keys; worst ${Math.max(...s.p99sMs).toFixed(1)} ms).`,
    );
  }
  for (const [name, h] of Object.entries(r.held)) {
    lines.push(
      "",
      `Held (quorum-locks, ${name}): ${h.locks.toLocaleString("en")} auto-extended locks, ttl ${h.ttl / 1_000} s: ${h.perLock.toFixed(4)} requests/s per node per lock, ${h.timers} live timers${h.timersAfterRelease === undefined ? "" : ` (${h.timersAfterRelease} 100 ms after release)`}, ${h.lost} lost, client CPU ${h.cpuPerLock.toFixed(1)} µs/s per lock.`,
    );
  }
  if (r.memory !== undefined) {
    const m = r.memory;
    lines.push(
      "",
      `Memory (quorum-locks): ${m.cycles.toLocaleString("en")} acquire/release cycles grew the heap by ${m.heapGrowthMb.toFixed(2)} MB after GC; ${m.timersLeft} timers left.`,
    );
  }
  if (r.fencingCost !== undefined) {
    lines.push(
      "",
      `Fencing tokens cost: ${r.fencingCost.cyclesPerSec.toFixed(0)} cycles/s, ${(r.fencingCost.ratio * 100).toFixed(0)} % of plain throughput.`,
    );
  }
  lines.push("", "| target | measured | |", "| --- | --- | --- |");
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.value} | ${t.pass ? "✅" : "❌"} |`);
  return `${lines.join("\n")}\n`;
}
