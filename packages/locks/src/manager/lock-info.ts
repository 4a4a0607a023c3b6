import type { RedisNode } from "../client/redis-node.js";

/** Who holds a lock, read from the nodes. */
export interface LockInfo {
  /** The lock's name, as given to getLock(). */
  readonly name: string;
  /** The holder's token (random, unique to one acquisition). */
  readonly owner: string;
  /** Epoch ms of the acquisition; undefined when the holder did not record it (a plain Redlock). */
  readonly acquiredAt: number | undefined;
  /** Epoch ms until which a quorum of nodes still holds it (without further extension). */
  readonly expiresAt: number;
  /** The ttl of its last acquisition or extension; undefined when not recorded. */
  readonly ttl: number | undefined;
  /** host:port of the nodes that hold it. */
  readonly redisNodes: readonly string[];
}

/** What a holder records next to its lock for getLockInfo(). */
interface InfoRecord {
  readonly acquiredAt: number;
  readonly ttl: number;
}

/** Keys per DEL: one command stays small. */
const DELETES_PER_COMMAND = 1_000;

function flushRecorder(recorder: LockInfoRecorder): void {
  recorder.flush();
}

/**
 * Lock info lives in its own key per acquisition (`<infoPrefix><name>:<token>`), written next to
 * the lock without waiting and expiring with it, so that recording it never slows the lock and
 * a late delete can never remove a newer holder's record.
 */
export class LockInfoRecorder {
  readonly #nodes: readonly RedisNode[];
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #enabled: boolean;
  /** Some node is a Redis Cluster: a command's keys must share a slot there. */
  readonly #clustered: boolean;
  /** SETs waiting for this I/O turn's end, sent together. */
  #writes: string[][] = [];
  /** Records to delete, sent together at this I/O turn's end. */
  #deletes: string[] = [];
  #flush: NodeJS.Immediate | undefined;

  constructor(nodes: readonly RedisNode[], prefix: string, timeout: number, enabled: boolean) {
    this.#nodes = nodes;
    this.#prefix = prefix;
    this.#timeout = timeout;
    this.#enabled = enabled;
    this.#clustered = nodes.some((n) => n.adapter.cluster === true);
  }

  #key(name: string, token: string): string {
    return `${this.#prefix}${name}:${token}`;
  }

  /**
   * The record of `name`'s lock `token` as a key its automatic extensions can carry (they give
   * it the lock's ttl: no rewrite per extension); undefined when nothing is recorded, or on a
   * Redis Cluster, where the record is in another hash slot than the lock.
   */
  companion(name: string, token: string): string | undefined {
    return this.#enabled && !this.#clustered ? this.#key(name, token) : undefined;
  }

  record(name: string, token: string, acquiredAt: number, ttl: number): void {
    if (!this.#enabled) return;
    const value = JSON.stringify({ acquiredAt, ttl } satisfies InfoRecord);
    this.#writes.push(["SET", this.#key(name, token), value, "PX", String(Math.ceil(ttl))]);
    this.#schedule();
  }

  forget(name: string, token: string): void {
    if (!this.#enabled) return;
    this.#deletes.push(this.#key(name, token));
    this.#schedule();
  }

  /**
   * Without waiting: info is best effort, and failures only count in the nodes' statistics.
   * What this I/O turn asked for goes out together at its end, without timers (nobody waits for
   * it): ten thousand locks released together cost a few DELs, and no timer per lock.
   */
  #schedule(): void {
    if (this.#flush === undefined) this.#flush = setImmediate(flushRecorder, this);
  }

  /** @internal Sends what is waiting. */
  flush(): void {
    this.#flush = undefined;
    const batch = this.#writes;
    this.#writes = [];
    const deletes = this.#deletes;
    this.#deletes = [];
    if (this.#clustered) {
      // Each record in its own slot: one DEL each.
      for (const key of deletes) batch.push(["DEL", key]);
    } else {
      for (let i = 0; i < deletes.length; i += DELETES_PER_COMMAND) {
        batch.push(["DEL", ...deletes.slice(i, i + DELETES_PER_COMMAND)]);
      }
    }
    if (batch.length === 0) return;
    for (const node of this.#nodes) node.sendBestEffort(batch);
  }

  /** Reads the lock under `key` on every node; info only when a quorum holds one token. */
  async read(name: string, key: string, quorum: number): Promise<LockInfo | null> {
    const replies = await Promise.all(
      this.#nodes.map(async (node) => {
        try {
          const [token, pttl] = await Promise.all([
            node.command(["GET", key], this.#timeout),
            node.command(["PTTL", key], this.#timeout),
          ]);
          return typeof token === "string" ? { node, token, pttl: Number(pttl) } : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    const holders = new Map<string, { node: RedisNode; pttl: number }[]>();
    for (const reply of replies) {
      if (reply === undefined || reply.pttl === -2) continue;
      const list = holders.get(reply.token) ?? [];
      list.push({ node: reply.node, pttl: reply.pttl });
      holders.set(reply.token, list);
    }
    const [owner, nodes] = [...holders].find(([, list]) => list.length >= quorum) ?? [];
    if (owner === undefined || nodes === undefined) return null;
    // A quorum holds it until the quorum-th longest remaining ttl runs out.
    const ttls = nodes.map((n) => (n.pttl < 0 ? Infinity : n.pttl)).sort((a, b) => b - a);
    const left = ttls[quorum - 1] ?? 0;
    const record = await this.#readRecord(name, owner, nodes[0]?.node);
    return {
      name,
      owner,
      acquiredAt: record?.acquiredAt,
      expiresAt: Date.now() + left,
      ttl: record?.ttl,
      redisNodes: nodes.map((n) => n.node.label),
    };
  }

  async #readRecord(name: string, token: string, node: RedisNode | undefined) {
    if (node === undefined) return undefined;
    try {
      const raw = await node.command(["GET", this.#key(name, token)], this.#timeout);
      return typeof raw === "string" ? (JSON.parse(raw) as InfoRecord) : undefined;
    } catch {
      return undefined;
    }
  }
}
