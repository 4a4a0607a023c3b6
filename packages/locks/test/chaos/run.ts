import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { clockSkewAvailable, RedisServer } from "@quorum-locks/redis-servers";
import { createClient } from "redis";
import { clockDrift, type RedlockOptions } from "../../src/index.js";
import { derivedKey } from "../../src/redlock/keys.js";
import { startWorker } from "../fixtures/workers.js";
import { type CheckReport, checkRun } from "./checker.js";
import { readStoreLog } from "./fenced-store.js";
import { type FaultKind, faultKinds, Nemesis } from "./nemesis.js";
import { LinkProxy } from "./proxy.js";
import { Random } from "./random.js";
import { formatRecord } from "./records.js";
import { readRunLogs, runFiles } from "./run-logs.js";
import type { ChaosSchedule, WorkerConfig } from "./worker-config.js";

export interface ChaosOptions {
  /**
   * What the workers contend for (see ChaosSchedule). Default `mutex`. The semaphore and
   * read-write schedules run without fencing (holders share: one fenced store does not apply);
   * the checker counts their holds instead.
   */
  readonly schedule?: ChaosSchedule | undefined;
  /** semaphore: its limit. Default 2. */
  readonly limit?: number | undefined;
  /** How long the nemesis injects faults; the run takes a few seconds more. */
  readonly durationMs: number;
  /** Replays a run's sequence of faults. Default: CHAOS_SEED, else a random seed. */
  readonly seed?: number | undefined;
  readonly workers?: number | undefined;
  readonly ttl?: number | undefined;
  /** Default: every kind (skew-clock only when libfaketime is installed). */
  readonly kinds?: readonly FaultKind[] | undefined;
  /** Where the logs go. Default: a new temporary directory. */
  readonly dir?: string | undefined;
  /**
   * The workers' `restartQuarantine`. Default: unset, the library's default (the node markers).
   * Only to show the hazard: 0 turns the quarantine off, and flush-holder, flush-node and
   * restart-majority then let two holders overlap.
   */
  readonly quarantine?: number | undefined;
  /** The fraction of holds that last until shortly before their validity ends. Default 0.25. */
  readonly longHolds?: number | undefined;
}

export interface ChaosResult {
  readonly dir: string;
  readonly seed: number;
  /** The kinds of fault the nemesis chose from. */
  readonly kinds: readonly FaultKind[];
  /** Wall time of the whole run, ms. */
  readonly elapsedMs: number;
  readonly report: CheckReport;
  /** Workers that crashed or had to be killed. */
  readonly workerErrors: readonly string[];
}

const NODES = 5;
// The drift budget covers the fastest skewed clock (see fastestSafeRate).
const DRIFT_FACTOR = 0.2;

/**
 * The fastest clock rate a node may run at without breaking Redlock: its keys expire after
 * ttl/rate, and must outlive the holder's validity, ttl − drift. Kept 5% below that.
 */
function fastestSafeRate(ttl: number): number {
  return Math.floor((95 * ttl) / (ttl - clockDrift(ttl, DRIFT_FACTOR))) / 100;
}

// Fenced locks, on the library's default restart quarantine (restartQuarantine unset): the
// node markers tell which nodes lost their data (restarted or flushed), and the length is
// learned from the largest ttl they record, so the nemesis may restart or flush nodes at once.
const defaultSafety: RedlockOptions = { fencing: true };

type Worker = ReturnType<typeof startWorker>;

/**
 * The string key flush-holder watches for a long hold: the lock; a semaphore's first slot (a
 * permit of one or of all the slots holds it); a read-write lock's writer key (readers live in a
 * sorted set, and a writer is the hold that must never overlap another).
 */
function watchedKey(schedule: ChaosSchedule): string {
  if (schedule === "semaphore") return derivedKey("chaos", "slot:1");
  if (schedule === "read-write") return derivedKey("chaos", "rw-writer");
  return "chaos";
}

/** Resolves once the worker has connected (it prints "ready"); rejects if it exits first. */
function ready({ child, done }: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve();
    });
    void done.then((result) => {
      reject(new Error(`worker exited before it was ready: ${result.stderr}`));
    });
  });
}

async function stopWorkers(workers: Worker[]): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(
    workers.map(async ({ child, done }, i) => {
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      // A worker may still stop itself once (a pause asked for before, reached before its
      // SIGTERM handler ran): go on continuing it until it is gone.
      const resume = setInterval(() => child.kill("SIGCONT"), 200);
      const timer = setTimeout(() => {
        errors.push(`worker w${i} did not stop within 20 s; killed`);
        child.kill("SIGKILL");
      }, 20_000);
      const result = await done;
      clearInterval(resume);
      clearTimeout(timer);
      if (result.code !== 0 && result.signal !== "SIGKILL") {
        errors.push(`worker w${i} exited ${result.code ?? result.signal}: ${result.stderr}`);
      }
    }),
  );
  return errors;
}

/**
 * A chaos run: five nodes behind TCP proxies, a fenced store beside them, `workers` processes
 * contending for one resource, and the nemesis breaking things for `durationMs`. The logs are
 * then checked (see checker.ts).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const began = performance.now();
  const seed = options.seed ?? Number(process.env["CHAOS_SEED"] ?? Random.newSeed());
  const random = new Random(seed);
  const ttl = options.ttl ?? 1_000;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "quorum-locks-chaos-"));
  mkdirSync(dir, { recursive: true });
  const kinds =
    options.kinds ?? faultKinds.filter((k) => k !== "skew-clock" || clockSkewAvailable());
  const clockRates = [0.5, 0.8, fastestSafeRate(ttl)];
  const schedule = options.schedule ?? "mutex";
  const limit = options.limit ?? 2;
  const base: RedlockOptions = schedule === "mutex" ? defaultSafety : { fencing: false };
  const safety: RedlockOptions =
    options.quarantine === undefined ? base : { ...base, restartQuarantine: options.quarantine };
  const longHolds = options.longHolds ?? 0.25;
  writeFileSync(
    join(dir, runFiles.meta),
    JSON.stringify(
      {
        seed,
        schedule,
        ...(schedule === "semaphore" ? { limit } : {}),
        ttl,
        driftFactor: DRIFT_FACTOR,
        kinds,
        clockRates,
        longHolds,
        redlock: safety,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, runFiles.faults), "");

  const servers = await Promise.all(Array.from({ length: NODES }, () => RedisServer.start()));
  const store = await RedisServer.start();
  const proxies = await Promise.all(servers.map((s) => LinkProxy.start(s.port)));
  const workers = Array.from({ length: options.workers ?? 4 }, (_, i) => {
    const config: WorkerConfig = {
      schedule,
      limit,
      owner: `w${i}`,
      urls: proxies.map((p) => p.url),
      storeUrl: store.url,
      resource: "chaos",
      ttl,
      writes: 3,
      longHolds,
      // Half the workers wait for a holder's release, half poll (see WorkerConfig).
      acquireTimeout: i % 2 === 0 ? 5_000 : undefined,
      log: join(dir, runFiles.worker(`w${i}`)),
      redlock: {
        retryCount: -1,
        retryDelay: 20,
        retryJitter: 40,
        commandTimeout: 200,
        connectTimeout: 300,
        driftFactor: DRIFT_FACTOR,
        ...safety,
      },
    };
    writeFileSync(config.log, "");
    return startWorker("chaos-worker", [JSON.stringify(config)]);
  });
  try {
    await Promise.all(workers.map(ready));
    const nemesis = new Nemesis({
      servers,
      proxies,
      workers: workers.map(({ child }, i) => ({ name: `w${i}`, pid: child.pid ?? 0 })),
      resource: watchedKey(schedule),
      random,
      kinds,
      ttl,
      // The restart quarantine keeps restarted and flushed nodes out of quorums (see
      // NemesisOptions).
      restartDelay: 0,
      clockRates,
      log: (fault) => {
        appendFileSync(join(dir, runFiles.faults), `${formatRecord(fault)}\n`);
      },
    });
    await nemesis.run(options.durationMs);
    // A last quiet moment, so the run ends with acquisitions on healthy nodes.
    await sleep(500);
    const workerErrors = await stopWorkers(workers);
    const client = createClient({ url: store.url });
    await client.connect();
    const entries = await readStoreLog(client);
    await client.close();
    writeFileSync(join(dir, runFiles.store), entries.map((e) => `${formatRecord(e)}\n`).join(""));
    const report = checkRun(readRunLogs(dir));
    return { dir, seed, kinds, elapsedMs: performance.now() - began, report, workerErrors };
  } finally {
    for (const { child } of workers) child.kill("SIGKILL");
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([...servers, store].map((s) => s.stop()));
  }
}
