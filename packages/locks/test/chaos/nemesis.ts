import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { clockRateWrapper, type RedisServer } from "@quorum-locks/redis-servers";
import { createClient } from "redis";
import type { LinkProxy } from "./proxy.js";
import type { Random } from "./random.js";
import { type FaultRecord, now } from "./records.js";

export const faultKinds = [
  "kill-restart",
  "flush-node",
  "flush-holder",
  "restart-majority",
  "pause-node",
  "delay-link",
  "cut-link",
  "skew-clock",
  "pause-worker",
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** A worker process the nemesis may pause. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
}

export interface NemesisOptions {
  readonly servers: readonly RedisServer[];
  /** One per server, in the same order: the clients' only way to it. */
  readonly proxies: readonly LinkProxy[];
  readonly workers: readonly WorkerProcess[];
  /** The contended key: flush-holder looks for it on the servers. */
  readonly resource: string;
  readonly random: Random;
  readonly kinds: readonly FaultKind[];
  /** The workers' lock ttl: paused workers stay paused longer than this. */
  readonly ttl: number;
  /**
   * Least time a killed node stays down before it restarts empty. Without restart quarantine
   * on the clients it must be at least the ttl: a node that forgot a lock and came back at once
   * could hand it out again (Redlock's known weak spot, "delayed restarts" in its description).
   */
  readonly restartDelay: number;
  /** Clock rates for skewed nodes; above 1 they must stay within the drift budget. */
  readonly clockRates: readonly number[];
  readonly log: (fault: FaultRecord) => void;
}

/** How long flush-holder sees a lock on its holders before it takes it for a long hold, ms. */
const LIVE_HOLD_MS = 100;

function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
}

/**
 * Injects one fault at a time, each on a minority of the nodes (or on one worker; a majority
 * for restart-majority, and for flush-holder as many of the lock's holders as leave it on
 * fewer than a quorum), heals it, rests a moment, and goes on until the time is up. Every kind
 * comes once per round, in an order, on targets and for durations drawn from a seeded random
 * source.
 */
export class Nemesis {
  readonly #o: NemesisOptions;
  readonly #minority: number;
  readonly #majority: number;
  #workerPauses = 0;

  constructor(options: NemesisOptions) {
    this.#o = options;
    this.#minority = Math.floor((options.servers.length - 1) / 2);
    this.#majority = Math.floor(options.servers.length / 2) + 1;
  }

  /** Injects faults for `durationMs`; the fault under way when time is up is finished and healed. */
  async run(durationMs: number): Promise<void> {
    const deadline = performance.now() + durationMs;
    let round: FaultKind[] = [];
    while (performance.now() < deadline) {
      if (round.length === 0) round = this.#o.random.sample(this.#o.kinds, this.#o.kinds.length);
      await this.#inject(round.shift() as FaultKind);
      await sleep(this.#o.random.int(100, 600));
    }
  }

  /**
   * A node that lost its data stays out of quorums for a while after the fault is healed (its
   * restart quarantine, about a ttl): flush-node and restart-majority are followed by 0 to 3
   * ttls without faults, so that the nodes often come of age under contention, while about two
   * times in five the next fault still lands inside the quarantine.
   */
  async #inject(kind: FaultKind): Promise<void> {
    const r = this.#o.random;
    const start = now();
    const nodes = r.sample(
      this.#o.servers.map((_, i) => i),
      r.int(1, this.#minority),
    );
    const record = (targets: readonly (string | number)[], detail: string) => {
      this.#o.log({ type: "fault", kind, targets: targets.map(String), detail, start, end: now() });
    };
    switch (kind) {
      case "kill-restart": {
        const down = Math.max(r.int(200, 2_000), this.#o.restartDelay);
        await this.#restart(nodes, down, undefined);
        record(nodes, `down ${down} ms, restarted empty`);
        return;
      }
      case "flush-node": {
        // The server keeps running (same process, same run_id, same uptime): only the node
        // markers can tell the clients that it forgot its locks.
        await Promise.all(nodes.map((i) => this.#flush(i)));
        const quiet = r.int(0, 3 * this.#o.ttl);
        record(nodes, `FLUSHALL, no restart; ${quiet} ms quiet after`);
        await sleep(quiet);
        return;
      }
      case "flush-holder": {
        // Aimed at a live hold: of the nodes holding the contended key, enough are flushed that
        // fewer than a quorum still hold it. Counted at once, the flushed nodes would grant a
        // second holder a quorum while the first still acts on its lock; only their young
        // markers keep them out until that lock has expired. The draws come first, so that the
        // run's sequence of draws does not depend on what the servers held.
        const order = r.sample(
          this.#o.servers.map((_, i) => i),
          this.#o.servers.length,
        );
        const quiet = r.int(0, 3 * this.#o.ttl);
        const hit = await this.#flushHolder(order);
        if (hit === undefined) return; // no live hold for 5 s: nothing happened, nothing to count
        record(hit.flushed, `${hit.detail}; ${quiet} ms quiet after`);
        await sleep(quiet);
        return;
      }
      case "restart-majority": {
        // Every lock is then lost on a majority: only the surviving minority still holds it,
        // and the restarted nodes must not count until every lock they forgot has expired.
        const majority = r.sample(
          this.#o.servers.map((_, i) => i),
          this.#majority,
        );
        const down = Math.max(r.int(200, 2_000), this.#o.restartDelay);
        await this.#restart(majority, down, undefined);
        const quiet = r.int(0, 3 * this.#o.ttl);
        record(majority, `down ${down} ms together, restarted empty; ${quiet} ms quiet after`);
        await sleep(quiet);
        return;
      }
      case "pause-node": {
        const ms = r.int(200, 3_000);
        for (const i of nodes) this.#server(i).pause();
        await sleep(ms);
        for (const i of nodes) this.#server(i).resume();
        record(nodes, `SIGSTOP for ${ms} ms`);
        return;
      }
      case "delay-link": {
        const delay = r.int(20, 800);
        const ms = r.int(1_000, 3_000);
        await this.#link(nodes, { kind: "delay", ms: delay }, ms);
        record(nodes, `+${delay} ms each way for ${ms} ms`);
        return;
      }
      case "cut-link": {
        const mode = r.pick(["reset", "blackhole"] as const);
        const ms = r.int(500, 3_000);
        await this.#link(nodes, { kind: mode }, ms);
        record(nodes, `${mode} for ${ms} ms`);
        return;
      }
      case "skew-clock": {
        const rate = r.pick(this.#o.clockRates);
        const ms = r.int(2_000, 5_000);
        await this.#restart(nodes, this.#o.restartDelay, clockRateWrapper(rate));
        await sleep(ms);
        await this.#restart(nodes, this.#o.restartDelay, []);
        record(nodes, `clock rate x${rate} for ${ms} ms`);
        return;
      }
      case "pause-worker": {
        const worker = r.pick(this.#o.workers);
        // Every other pause hits between a worker's check and its write, the case fencing is for.
        const anywhere = this.#workerPauses++ % 2 === 1;
        const extra = r.int(300, 1_000);
        if (anywhere) {
          process.kill(worker.pid, "SIGSTOP");
        } else if (!(await this.#pauseAtWrite(worker))) {
          return; // it held no lock for 5 s: nothing happened, nothing to count
        }
        await sleep(this.#o.ttl + extra);
        process.kill(worker.pid, "SIGCONT");
        const where = anywhere ? "at a random moment" : "between its check and its write";
        record([worker.name], `stopped ${where} for ttl + ${extra} ms`);
        return;
      }
    }
  }

  /**
   * Watches the contended key on every server (directly, past the proxies) until one value has
   * sat on a quorum of them for at least LIVE_HOLD_MS with more than half a ttl left (a hold
   * that outlasts the short ones, so still live), then FLUSHALLs the holders that come first in
   * `order`, as many as leave a quorum minus one holding it. Undefined after 5 s without one.
   */
  async #flushHolder(
    order: readonly number[],
  ): Promise<{ flushed: number[]; detail: string } | undefined> {
    const key = this.#o.resource;
    const clients = await Promise.all(
      this.#o.servers.map(async (server) => {
        const client = createClient({ url: server.url });
        client.on("error", () => undefined);
        await client.connect();
        return client;
      }),
    );
    try {
      const deadline = performance.now() + 5_000;
      let seen: { value: string; since: number } | undefined;
      while (performance.now() < deadline) {
        const replies = await Promise.all(
          clients.map(async (c) => {
            const [value, pttl] = await Promise.all([c.get(key), c.pTTL(key)]);
            return { value, pttl };
          }),
        );
        const counts = new Map<string, number>();
        for (const { value } of replies) {
          if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
        }
        const [value] = [...counts].find(([, n]) => n >= this.#majority) ?? [];
        if (value === undefined || value !== seen?.value) {
          seen = value === undefined ? undefined : { value, since: performance.now() };
          await sleep(5);
          continue;
        }
        const holders = replies.flatMap((reply, i) => (reply.value === value ? [i] : []));
        const left = Math.min(...holders.map((i) => replies[i]?.pttl ?? 0));
        if (performance.now() - seen.since < LIVE_HOLD_MS || left <= this.#o.ttl / 2) {
          await sleep(5);
          continue;
        }
        const flushed = order
          .filter((i) => holders.includes(i))
          .slice(0, holders.length - this.#majority + 1);
        await Promise.all(flushed.map(async (i) => (clients[i] as (typeof clients)[0]).flushAll()));
        const detail =
          `FLUSHALL of ${flushed.length} of the ${holders.length} nodes holding the lock ` +
          `(${holders.join(", ")}; held ${Math.round(performance.now() - seen.since)} ms, ` +
          `${left} ms left on its keys), leaving it on ${holders.length - flushed.length}`;
        return { flushed, detail };
      }
      return undefined;
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
  }

  /** Asks the worker to stop itself at its next write; true once it has. */
  async #pauseAtWrite(worker: WorkerProcess): Promise<boolean> {
    process.kill(worker.pid, "SIGUSR2");
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline) {
      if (isStopped(worker.pid)) return true;
      await sleep(10);
    }
    process.kill(worker.pid, "SIGUSR1");
    await sleep(50);
    return isStopped(worker.pid);
  }

  async #restart(
    nodes: readonly number[],
    down: number,
    wrapper: readonly string[] | undefined,
  ): Promise<void> {
    await Promise.all(nodes.map((i) => this.#server(i).kill()));
    await sleep(down);
    await Promise.all(nodes.map((i) => this.#server(i).start(wrapper)));
  }

  /** FLUSHALL on the server itself, past its proxy (whose link the clients use). */
  async #flush(i: number): Promise<void> {
    const client = createClient({ url: this.#server(i).url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      await client.flushAll();
    } finally {
      await client.close();
    }
  }

  async #link(nodes: readonly number[], state: Parameters<LinkProxy["set"]>[0], ms: number) {
    for (const i of nodes) this.#proxy(i).set(state);
    await sleep(ms);
    for (const i of nodes) this.#proxy(i).set({ kind: "ok" });
  }

  #server(i: number): RedisServer {
    const server = this.#o.servers[i];
    if (server === undefined) throw new Error(`no server ${i}`);
    return server;
  }

  #proxy(i: number): LinkProxy {
    const proxy = this.#o.proxies[i];
    if (proxy === undefined) throw new Error(`no proxy ${i}`);
    return proxy;
  }
}
