// A chaos worker: takes the contended lock (or, by its schedule, permits of a semaphore, or a
// read or write lease of a read-write lock) again and again; while it believes it holds it, it
// checks lock.isHeld() and writes to the fenced store, several times (`writes`), or, in a
// fraction `longHolds` of the holds, until shortly before the lock's validity ends: a hold that
// lasts long enough for a node that forgets it to matter. It logs each hold's window
// and each write (see test/chaos/records.ts). SIGUSR2 asks it to pause itself (SIGSTOP) at its
// next write, between the check and the write: the worst moment for a GC pause. SIGUSR1 takes
// the request back; SIGTERM finishes the current hold and exits.
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { Redlock } from "../../src/index.js";
import type { HoldRecord as Hold } from "../chaos/records.js";
import { fencedWrite } from "../chaos/fenced-store.js";
import { formatRecord, type HoldRecord, msToNs, now, type WorkerRecord } from "../chaos/records.js";
import type { WorkerConfig } from "../chaos/worker-config.js";

const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig;
const log = (record: WorkerRecord) => {
  appendFileSync(config.log, `${formatRecord(record)}\n`);
};

const stop = new AbortController();
const stopping = () => stop.signal.aborted;
let pauseRequested = false;
process.on("SIGTERM", () => {
  // A pause asked for earlier must not happen now: the SIGCONT that ends pauses was sent just
  // before this SIGTERM, and a worker that stopped itself after it would never go on.
  pauseRequested = false;
  stop.abort();
});
process.on("SIGUSR2", () => {
  pauseRequested = true;
});
process.on("SIGUSR1", () => {
  pauseRequested = false;
});

const redlock = new Redlock(config.urls, config.redlock);
redlock.on("nodeError", () => undefined);
const store = createClient({ url: config.storeUrl });
store.on("error", () => undefined);
await store.connect();
process.stdout.write("ready\n");

/** A long hold stops writing this long (ms) before its validity ends. */
const LONG_HOLD_MARGIN = 30;

/** What a hold is on: a lock, a permit or a lease (they all answer these). */
interface Held {
  readonly fencingToken: bigint | undefined;
  readonly remaining: number;
  readonly attempts: number;
  isHeld(): boolean;
  release(): Promise<unknown>;
}

const schedule = config.schedule ?? "mutex";
const semaphore =
  schedule === "semaphore"
    ? redlock.semaphore(config.resource, { limit: config.limit ?? 2 })
    : undefined;
const rw = schedule === "read-write" ? redlock.readWriteLock(config.resource) : undefined;

/** Takes what the schedule contends for, and says what it took. */
async function take(options: {
  timeout?: number;
  signal: AbortSignal;
}): Promise<{ held: Held; kind: NonNullable<Hold["kind"]>; permits?: number }> {
  if (semaphore !== undefined) {
    const limit = config.limit ?? 2;
    // Now and then a request for every permit: all-or-none, against holders of single ones.
    const permits = Math.random() < 0.25 ? limit : 1;
    const permit = await semaphore.acquire(config.ttl, { ...options, permits });
    const held: Held = {
      get fencingToken() {
        return permit.fencingToken;
      },
      get remaining() {
        return permit.remaining;
      },
      attempts: permit.lock.attempts,
      isHeld: () => permit.isHeld(),
      release: () => permit.release(),
    };
    return { held, kind: "permit", permits };
  }
  if (rw !== undefined) {
    const write = Math.random() < (config.writeShare ?? 0.3);
    const lease = write
      ? await rw.acquireWrite(config.ttl, options)
      : await rw.acquireRead(config.ttl, options);
    return { held: lease, kind: write ? "write" : "read" };
  }
  return { held: await redlock.acquire(config.resource, config.ttl, options), kind: "lock" };
}

async function criticalSection(
  lock: Held,
  seq: number,
  validEnd: bigint,
  long: boolean,
): Promise<void> {
  // With `fencing: true` the store rejects a writer whose token is older than one it has seen.
  const token = lock.fencingToken;
  for (let n = 0; long || n < config.writes; n++) {
    const checkedAt = now();
    if (!lock.isHeld()) return;
    if (long && lock.remaining < LONG_HOLD_MARGIN) return;
    if (pauseRequested && !stopping()) {
      pauseRequested = false;
      log({ type: "gc-pause", owner: config.owner, seq, at: now() });
      process.kill(process.pid, "SIGSTOP"); // until the nemesis sends SIGCONT
    }
    const sentAt = now();
    if (schedule !== "mutex") {
      // Sharing holders have no single order for a fenced store: the hold itself is checked.
      if (sentAt > validEnd) return;
      await sleep(long ? 10 + Math.floor(Math.random() * 20) : Math.floor(Math.random() * 15));
      continue;
    }
    const writer = `${config.owner}:${seq}:${n}`;
    const accepted = await fencedWrite(store, token, writer);
    log({ type: "write", owner: config.owner, seq, writer, token, checkedAt, sentAt, accepted });
    if (sentAt > validEnd) return; // it learnt nothing new: a real client would stop here too
    await sleep(long ? 10 + Math.floor(Math.random() * 20) : Math.floor(Math.random() * 15));
  }
}

/**
 * The lock's validity end on the shared clock: `remaining` added to a clock reading taken right
 * after it (so never early). A pause between the two readings would push it late, so they are
 * taken again until they sit within a millisecond of each other.
 */
function validityEnd(lock: Held): bigint {
  for (;;) {
    const before = now();
    const remaining = lock.remaining;
    const after = now();
    if (remaining === 0) return before; // over already, no later than this
    if (after - before < 1_000_000n) return after + msToNs(remaining);
  }
}

let seq = 0;
let acquireFailures = 0;
let releaseFailures = 0;
while (!stopping()) {
  let taken: Awaited<ReturnType<typeof take>>;
  try {
    taken = await take({
      ...(config.acquireTimeout === undefined ? {} : { timeout: config.acquireTimeout }),
      signal: stop.signal,
    });
  } catch {
    if (!stopping()) acquireFailures++;
    continue;
  }
  const lock = taken.held;
  const start = now();
  const validEnd = validityEnd(lock);
  seq++;
  const long = Math.random() < config.longHolds;
  await criticalSection(lock, seq, validEnd, long);
  const releasedAt = now();
  await lock.release().catch(() => {
    releaseFailures++;
  });
  const hold: HoldRecord = {
    type: "hold",
    owner: config.owner,
    seq,
    start,
    end: releasedAt < validEnd ? releasedAt : validEnd,
    validEnd,
    releasedAt,
    token: lock.fencingToken,
    attempts: lock.attempts,
    long,
    ...(schedule === "mutex"
      ? {}
      : { kind: taken.kind, ...(taken.permits === undefined ? {} : { permits: taken.permits }) }),
  };
  log(hold);
}
log({ type: "summary", owner: config.owner, acquireFailures, releaseFailures });
await redlock.quit();
await store.close();
