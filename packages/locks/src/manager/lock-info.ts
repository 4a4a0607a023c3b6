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

  constructor(nodes: readonly RedisNode[], prefix: string, timeout: number, enabled: boolean) {
    this.#nodes = nodes;
    this.#prefix = prefix;
    this.#timeout = timeout;
    this.#enabled = enabled;
  }

  #key(name: string, token: string): string {
    return `${this.#prefix}${name}:${token}`;
  }

  record(name: string, token: string, acquiredAt: number, ttl: number): void {
    if (!this.#enabled) return;
    const value = JSON.stringify({ acquiredAt, ttl } satisfies InfoRecord);
    const args = ["SET", this.#key(name, token), value, "PX", String(Math.ceil(ttl))];
    this.#sendToAll(args);
  }

  forget(name: string, token: string): void {
    if (!this.#enabled) return;
    this.#sendToAll(["DEL", this.#key(name, token)]);
  }

  /** Without waiting: info is best effort, and failures only count in the nodes' statistics. */
  #sendToAll(args: readonly string[]): void {
    for (const node of this.#nodes) node.command(args, this.#timeout).catch(() => undefined);
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
