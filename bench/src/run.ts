// `pnpm bench` (full) or `pnpm bench --quick` (under a minute): starts five local Redis nodes,
// runs every scenario for quorum-locks, its peers and the raw-client floors in the same run, and
// writes bench/results/latest.{json,md,svg}. `--only=throughput,latency` runs a subset.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, release, totalmem, type } from "node:os";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { startLocalNodes } from "@quorum-locks/redis-servers";
import { createClient } from "redis";
import { type Contender, contenders } from "./contenders/index.js";
import { semaphoreContenders } from "./contenders/semaphores.js";
import { chart } from "./report/chart.js";
import { markdown } from "./report/markdown.js";
import { evaluateTargets } from "./report/targets.js";
import type { Results } from "./results.js";
import { type ContentionResult, contention } from "./scenarios/contention.js";
import { fairness } from "./scenarios/fairness.js";
import { handoff } from "./scenarios/handoff.js";
import { held } from "./scenarios/held.js";
import { latency } from "./scenarios/latency.js";
import { memory } from "./scenarios/memory.js";
import {
  semaphoreHandoff,
  semaphoreThroughput,
  semaphoreWaitingCost,
} from "./scenarios/semaphore.js";
import { stampede } from "./scenarios/stampede.js";
import { Stalled, throughput } from "./scenarios/throughput.js";
import { waitingCost } from "./scenarios/waiting-cost.js";
import { waitersAtScale } from "./scenarios/waiters.js";
import { median, quantile } from "./stats.js";

const quick = process.argv.includes("--quick");
const onlyArg = process.argv.find((a) => a.startsWith("--only="));
const only = onlyArg === undefined ? undefined : new Set(onlyArg.slice(7).split(","));
const wanted = (scenario: string) => only === undefined || only.has(scenario);

const config = quick
  ? {
      // Under a minute in all: short windows, fewer samples.
      rounds: 2,
      tpMs: 500,
      latencyCycles: 500,
      handoffSamples: 5,
      waitWindowMs: 600,
      waitSettleMs: 300,
      fairMs: 1_000,
      stallMs: 1_200,
      warmMs: 150,
      memoryCycles: 30_000,
      stampedeRounds: 3,
      waiterCounts: [1_000],
      waitersWindowMs: 2_000,
      contenderCounts: [128],
      contentionMs: 1_000,
      heldLocks: 10_000,
      heldWindowMs: 5_000,
      heldSettleMs: 2_000,
    }
  : {
      rounds: 5,
      tpMs: 3_000,
      latencyCycles: 3_000,
      handoffSamples: 40,
      waitWindowMs: 5_000,
      waitSettleMs: 1_000,
      warmMs: 300,
      fairMs: 8_000,
      stallMs: 3_000,
      memoryCycles: 1_000_000,
      stampedeRounds: 9,
      waiterCounts: [1_000, 10_000],
      waitersWindowMs: 5_000,
      contenderCounts: [8, 32, 128],
      contentionMs: 3_000,
      heldLocks: 10_000,
      heldWindowMs: 10_000,
      heldSettleMs: 3_000,
    };

/** Peers and floors measured in every throughput, latency, handoff and waiting scenario. */
const field = [
  "quorum-locks",
  // Right after ours in every round, so that each round's ratio to the floor compares
  // measurements taken moments apart on this noisy machine.
  "raw node-redis (floor)",
  "quorum-locks (fenced)",
  "node-redlock",
  "@sesamecare-oss/redlock",
  "redis-semaphore",
  "redlock-universal",
  "raw ioredis",
];
const OURS = "quorum-locks";
const FLOOR = "raw node-redis (floor)";
const FENCED = "quorum-locks (fenced)";
// The fenced variant is measured for throughput and latency only: what fencing costs.
const lockers = field.filter((n) => !n.startsWith("raw") && n !== FENCED);
const fairField = quick
  ? ["quorum-locks", "quorum-locks (fair)"]
  : ["quorum-locks", "quorum-locks (fair)", ...lockers.slice(1)];

const log = (line: string) => {
  console.log(line);
};

const nodes = await startLocalNodes(5);
const urls = [...nodes.urls];
const flush = () =>
  Promise.all(
    urls.map(async (url) => {
      const client = createClient({ url });
      await client.connect();
      await client.flushAll();
      client.destroy();
    }),
  );
const make = async (name: string): Promise<Contender> => {
  const factory = contenders[name];
  if (factory === undefined) throw new Error(`unknown contender ${name}`);
  return factory(urls);
};

const results: Results = {
  mode: quick ? "quick" : "full",
  date: new Date().toISOString(),
  nodes: urls.length,
  machine: {
    cpu: cpus()[0]?.model.trim() ?? "?",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis:
      execFileSync("redis-server", ["--version"]).toString().split(" ")[2]?.replace("v=", "") ??
      "?",
    os: `${type()} ${release()}`,
  },
  versions: {},
  throughput: {},
  latency: {},
  paired: { throughput: [], latencyP50: [], latencyP99: [] },
  handoff: {},
  waitingCost: {},
  waiters: {},
  contention: {},
  held: {},
  fairness: {},
  degraded: {},
  stampede: undefined,
  memory: undefined,
  fencingCost: undefined,
  semaphore: undefined,
  targets: [],
};

try {
  log(
    `quorum-locks bench (${results.mode}) on ${urls.length} local nodes: ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}, Redis ${results.machine.redis}`,
  );
  const instances = await Promise.all(field.map(make));
  for (const c of instances) results.versions[c.name] = c.version;

  if (wanted("throughput")) {
    log("\n# throughput: 64 concurrent, distinct keys (alternating rounds, median)");
    for (const c of instances)
      await throughput(c, { workers: 64, durationMs: config.warmMs, prefix: "warm" });
    const rounds = new Map<string, number[]>();
    for (let r = 0; r < config.rounds; r++) {
      for (const c of instances) {
        const value = await throughput(c, {
          workers: 64,
          durationMs: config.tpMs,
          prefix: `tp${r}`,
        });
        rounds.set(c.name, [...(rounds.get(c.name) ?? []), value]);
      }
    }
    for (const [name, values] of rounds) {
      results.throughput[name] = { cyclesPerSec: median(values), rounds: values };
      log(
        `${name.padEnd(26)} ${median(values).toFixed(0).padStart(7)} cycles/s  (${values.map((v) => v.toFixed(0)).join(", ")})`,
      );
    }
    const fenced = results.throughput[FENCED]?.cyclesPerSec;
    const plain = results.throughput[OURS]?.cyclesPerSec;
    if (fenced !== undefined && plain !== undefined) {
      results.fencingCost = { cyclesPerSec: fenced, ratio: fenced / plain };
    }
    const ours = rounds.get(OURS) ?? [];
    results.paired.throughput = ours.map((v, r) => v / (rounds.get(FLOOR)?.[r] ?? Number.NaN));
    log(
      `ours / floor, round by round: ${results.paired.throughput.map((v) => v.toFixed(2)).join(", ")}`,
    );
    await flush();
  }

  if (wanted("latency")) {
    log("\n# sequential acquire+release latency (alternating rounds)");
    const samples = new Map<string, number[]>();
    const perRound = new Map<string, { p50: number; p99: number }[]>();
    for (let r = 0; r < config.rounds; r++) {
      for (const c of instances) {
        const s = await latency(c, {
          cycles: config.latencyCycles / config.rounds,
          prefix: `lat${r}`,
        });
        samples.set(c.name, [...(samples.get(c.name) ?? []), ...s]);
        perRound.set(c.name, [
          ...(perRound.get(c.name) ?? []),
          { p50: quantile(s, 0.5), p99: quantile(s, 0.99) },
        ]);
      }
    }
    for (const [name, values] of samples) {
      results.latency[name] = { p50: quantile(values, 0.5), p99: quantile(values, 0.99) };
      log(
        `${name.padEnd(26)} p50 ${quantile(values, 0.5).toFixed(3)} ms  p99 ${quantile(values, 0.99).toFixed(3)} ms`,
      );
    }
    const ourRounds = perRound.get(OURS) ?? [];
    const floorRounds = perRound.get(FLOOR) ?? [];
    results.paired.latencyP50 = ourRounds.map(
      (o, r) => o.p50 / (floorRounds[r]?.p50 ?? Number.NaN),
    );
    results.paired.latencyP99 = ourRounds.map(
      (o, r) => o.p99 / (floorRounds[r]?.p99 ?? Number.NaN),
    );
    log(
      `ours / floor p50, round by round: ${results.paired.latencyP50.map((v) => v.toFixed(2)).join(", ")}`,
    );
    log(
      `ours / floor p99, round by round: ${results.paired.latencyP99.map((v) => v.toFixed(2)).join(", ")}`,
    );
    await flush();
  }

  if (wanted("handoff")) {
    log("\n# handoff: a blocked waiter, the holder releases, until the waiter holds it");
    for (const name of lockers) {
      const [holder, waiter] = [await make(name), await make(name)];
      const r = await handoff(holder, waiter, {
        samples: config.handoffSamples,
        blockedMs: 30,
        prefix: "handoff",
      });
      results.handoff[name] = r;
      log(`${name.padEnd(26)} p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms`);
      await Promise.all([holder.close(), waiter.close()]);
    }
    await flush();
  }

  if (wanted("waiting")) {
    log("\n# waiting cost: commands/s per node from a waiter blocked on a long-held lock");
    for (const name of lockers) {
      const [holder, waiter] = [await make(name), await make(name)];
      const r = await waitingCost(holder, waiter, urls, {
        windowMs: config.waitWindowMs,
        settleMs: config.waitSettleMs,
        prefix: "waiting",
      });
      results.waitingCost[name] = r.perNodePerSecond;
      const sent = r.commands.map(([command, n]) => `${command} ${n}`).join(", ");
      log(
        `${name.padEnd(26)} ${r.perNodePerSecond.toFixed(2)} commands/s/node${sent === "" ? "" : ` (${sent})`}`,
      );
      await Promise.all([holder.close(), waiter.close()]);
    }
    await flush();
  }

  if (wanted("waiters")) {
    log("\n# waiters: W waiters in one process on distinct held keys, all released at once");
    for (const count of config.waiterCounts) {
      const r = await waitersAtScale(urls, {
        waiters: count,
        windowMs: config.waitersWindowMs,
        settleMs: config.waitSettleMs,
        prefix: `waiters${count}`,
      });
      results.waiters[String(count)] = r;
      log(
        `${count.toLocaleString("en").padEnd(8)} acquired ${r.acquired}/${count}  handoff p50 ${r.p50.toFixed(0)} ms  p99 ${r.p99.toFixed(0)} ms  ${r.perWaiter.toFixed(4)} commands/s/node per blocked waiter${r.commands.length === 0 ? "" : ` (${r.commands.map(([c, n]) => `${c} ${n}`).join(", ")})`}`,
      );
      await flush();
    }
  }

  if (wanted("contention")) {
    log("\n# contention: C contenders in one process looping acquire/release on one key");
    const field = quick
      ? ["quorum-locks", "quorum-locks (fair)"]
      : ["quorum-locks", "quorum-locks (fair)", "node-redlock", "redis-semaphore"];
    for (const name of field) {
      const c = await make(name);
      const byCount: Record<string, ContentionResult> = {};
      for (const count of config.contenderCounts) {
        const r = await contention(c, urls, {
          contenders: count,
          windowMs: config.contentionMs,
          settleMs: config.warmMs,
          key: `contention:${name}:${count}`,
        });
        byCount[String(count)] = r;
        log(
          `${name.padEnd(26)} ${String(count).padStart(4)} contenders  ${r.handoffsPerSec.toFixed(0)} handoffs/s  ${r.requestsPerNodePerAcquisition.toFixed(1)} requests/node/acquisition (${r.perNodePerAcquisition.toFixed(1)} commands)  Jain ${r.jain.toFixed(2)}  (${r.commands
            .slice(0, 6)
            .map(([command, n]) => `${command} ${n}`)
            .join(", ")})`,
        );
      }
      results.contention[name] = byCount;
      await c.close();
      await flush();
    }
  }

  if (wanted("held")) {
    log(
      `\n# held: ${config.heldLocks.toLocaleString("en")} auto-extended locks (ttl 3 s) in one process, over ${config.heldWindowMs / 1_000} s`,
    );
    // BENCH_BASELINE: the dist/index.js of an earlier build, measured in the same run.
    const baseline = process.env["BENCH_BASELINE"];
    const libs: [string, typeof import("quorum-locks")][] = [["", await import("quorum-locks")]];
    if (baseline !== undefined && baseline !== "") {
      libs.push([
        " (baseline)",
        (await import(pathToFileURL(baseline).href)) as typeof import("quorum-locks"),
      ]);
    }
    for (const mode of ["using", "manager"] as const) {
      for (const [suffix, lib] of libs) {
        const r = await held(lib, urls, {
          mode,
          locks: config.heldLocks,
          ttl: 3_000,
          windowMs: config.heldWindowMs,
          settleMs: config.heldSettleMs,
          prefix: `held-${mode}${suffix === "" ? "" : "-baseline"}`,
        });
        results.held[`${mode}${suffix}`] = r;
        log(
          `${`${mode}${suffix}`.padEnd(20)} ${r.perLock.toFixed(4)} requests/s/node per lock  timers ${r.timers}${r.timersAfterRelease === undefined ? "" : ` (${r.timersAfterRelease} 100 ms after release)`}  lost ${r.lost}/${r.locks}${r.firstLost === undefined ? "" : ` (first: ${r.firstLost})`}  CPU ${r.cpuPerLock.toFixed(1)} µs/s per lock${r.commands.length === 0 ? "" : ` (${r.commands.map(([c, n]) => `${c} ${n}`).join(", ")})`}`,
        );
        await flush();
      }
    }
  }

  if (wanted("degraded")) {
    log("\n# degraded: 2 of 5 nodes paused (SIGSTOP), throughput against the healthy figure");
    for (const name of lockers.filter(
      (n) =>
        process.env["BENCH_DEGRADED"] === undefined ||
        process.env["BENCH_DEGRADED"].split(",").includes(n),
    )) {
      const healthy = results.throughput[name]?.cyclesPerSec;
      const c = await make(name);
      await throughput(c, { workers: 64, durationMs: config.warmMs, prefix: "dwarm" });
      const [a, b] = [nodes.servers[1], nodes.servers[3]];
      a?.pause();
      b?.pause();
      try {
        await throughput(c, {
          workers: 64,
          durationMs: config.stallMs / 3,
          prefix: "dsettle",
          stallMs: config.stallMs,
        });
        const value = await throughput(c, {
          workers: 64,
          durationMs: config.tpMs,
          prefix: "degraded",
          stallMs: config.stallMs,
        });
        const ratio = healthy === undefined ? Number.NaN : value / healthy;
        results.degraded[name] = { cyclesPerSec: value, ratio };
        log(
          `${name.padEnd(26)} ${value.toFixed(0)} cycles/s (${(ratio * 100).toFixed(0)} % of healthy)`,
        );
      } catch (error) {
        if (!(error instanceof Stalled)) throw error;
        results.degraded[name] = { stalled: true };
        log(`${name.padEnd(26)} stalled: ${error.message}`);
      } finally {
        a?.resume();
        b?.resume();
      }
      await c.close().catch(() => undefined);
    }
    await flush();
  }

  if (wanted("fairness")) {
    log("\n# fairness: 8 processes contending for one key");
    for (const name of fairField) {
      const r = await fairness(name, urls, {
        processes: 8,
        durationMs: config.fairMs,
        key: `fair:${name}`,
      });
      results.fairness[name] = r;
      log(
        `${name.padEnd(26)} Jain ${r.jain.toFixed(3)}  max wait ${r.maxWaitMs.toFixed(0)} ms  sections ${r.sections.join(" ")}`,
      );
    }
    await flush();
  }

  if (wanted("stampede")) {
    const rounds = config.stampedeRounds;
    log(
      `\n# stampede: 1,000 concurrent callers over 4 managers, cold key, 50 ms fetcher, ${rounds} keys`,
    );
    const r = await stampede(urls, {
      callers: 1_000,
      managers: 4,
      fetchMs: 50,
      rounds,
      key: "stampede:cold",
    });
    results.stampede = { callers: 1_000, fetchMs: 50, ...r };
    log(
      `fetcher runs ≤ ${r.fetcherRuns} per key, caller p99 median ${r.p99Ms.toFixed(1)} ms (bursts: ${r.p99sMs.map((v) => v.toFixed(1)).join(", ")})`,
    );
    await flush();
  }

  if (wanted("semaphore")) {
    const limit = 3;
    const workers = 64;
    const names = Object.keys(semaphoreContenders);
    const makeSem = (name: string) => {
      const factory = semaphoreContenders[name];
      if (factory === undefined) throw new Error(`unknown semaphore contender ${name}`);
      return factory(urls);
    };
    const sem = {
      limit,
      workers,
      throughput: {} as Record<string, { cyclesPerSec: number; rounds: number[] }>,
      throughputShared: {} as Record<string, { cyclesPerSec: number; rounds: number[] }>,
      handoff: {} as Record<string, { p50: number; p90: number }>,
      waitingCost: {} as Record<string, number>,
    };
    results.semaphore = sem;
    const throughputs = await Promise.all(names.map(makeSem));
    for (const c of throughputs) {
      await semaphoreThroughput(c, {
        workers,
        limit,
        sharing: 1,
        durationMs: config.warmMs,
        prefix: "swarm",
      });
    }
    for (const [sharing, into] of [
      [1, sem.throughput],
      [limit, sem.throughputShared],
    ] as const) {
      log(
        `\n# semaphore throughput: limit ${limit}, ${workers} concurrent callers, ${sharing} to a semaphore (alternating rounds, median)`,
      );
      for (let r = 0; r < config.rounds; r++) {
        for (const c of throughputs) {
          const value = await semaphoreThroughput(c, {
            workers,
            limit,
            sharing,
            durationMs: config.tpMs,
            prefix: `stp${sharing}-${r}`,
          });
          const rounds = [...(into[c.name]?.rounds ?? []), value];
          into[c.name] = { cyclesPerSec: median(rounds), rounds };
        }
      }
      for (const c of throughputs) {
        results.versions[c.name] = c.version;
        const t = into[c.name];
        if (t !== undefined)
          log(
            `${c.name.padEnd(36)} ${t.cyclesPerSec.toFixed(0).padStart(7)} cycles/s  (${t.rounds.map((v) => v.toFixed(0)).join(", ")})`,
          );
      }
    }
    await Promise.all(throughputs.map((c) => c.close()));
    await flush();

    log("\n# semaphore handoff: full semaphore, a blocked waiter, one permit released");
    for (const name of names) {
      const [holder, waiter] = [await makeSem(name), await makeSem(name)];
      const h = await semaphoreHandoff(holder, waiter, {
        samples: config.handoffSamples,
        limit,
        blockedMs: 30,
        prefix: "shandoff",
      });
      sem.handoff[name] = h;
      log(`${name.padEnd(36)} p50 ${h.p50.toFixed(2)} ms  p90 ${h.p90.toFixed(2)} ms`);
      await Promise.all([holder.close(), waiter.close()]);
    }
    await flush();

    log("\n# semaphore waiting cost: commands/s per node from a waiter on a full semaphore");
    for (const name of names) {
      const [holder, waiter] = [await makeSem(name), await makeSem(name)];
      const w = await semaphoreWaitingCost(holder, waiter, {
        limit,
        windowMs: config.waitWindowMs,
        settleMs: config.waitSettleMs,
        prefix: "swaiting",
      });
      sem.waitingCost[name] = w.perNodePerSecond;
      const sent = w.commands.map(([command, n]) => `${command} ${n}`).join(", ");
      log(
        `${name.padEnd(36)} ${w.perNodePerSecond.toFixed(2)} commands/s/node${sent === "" ? "" : ` (${sent})`}`,
      );
      await Promise.all([holder.close(), waiter.close()]);
    }
    await flush();
  }

  if (wanted("memory")) {
    log(`\n# memory: ${config.memoryCycles.toLocaleString("en")} acquire/release cycles`);
    const c = await make("quorum-locks");
    const r = await memory(c, { cycles: config.memoryCycles, prefix: "mem" });
    results.memory = {
      cycles: config.memoryCycles,
      heapGrowthMb: r.heapGrowthMb,
      timersLeft: r.timersLeft,
    };
    log(`heap growth ${r.heapGrowthMb.toFixed(2)} MB, timers left ${r.timersLeft}`);
    await c.close();
  }

  await Promise.all(instances.map((c) => c.close()));
} finally {
  await nodes.stop();
}

results.targets = evaluateTargets(results);
const dir = new URL("../results/", import.meta.url);
await mkdir(dir, { recursive: true });
await writeFile(new URL("latest.json", dir), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(new URL("latest.md", dir), markdown(results));
if (Object.keys(results.throughput).length > 0)
  await writeFile(new URL("latest.svg", dir), await chart(results));
log(
  `\n${results.targets.map((t) => `${t.pass ? "PASS" : "MISS"}  ${t.id.padEnd(22)} ${t.value}  (${t.target})`).join("\n")}`,
);
log("\nwrote bench/results/latest.json, latest.md, latest.svg");
