import type { RedisNode } from "../client/redis-node.js";

/**
 * How long a node that (re)started does not count toward a quorum. A node that restarts
 * without persistence has forgotten the locks it granted; counted at once, it could hand a
 * second client a quorum while the first still holds the lock. Kept out until every lock it
 * may have forgotten has expired, it is safe to count again.
 */
export class RestartQuarantine {
  /** The quarantine in ms now; 0 is none. */
  ms: number;
  /** Unset option: the quarantine follows the largest ttl this Redlock used. */
  readonly #followsTtl: boolean;

  /** @param option restartQuarantine: ms, 0 for off, undefined for the largest ttl used. */
  constructor(option: number | undefined) {
    this.ms = option ?? 0;
    this.#followsTtl = option === undefined;
  }

  /** Whether nodes must read their servers' uptime at all. */
  get watching(): boolean {
    return this.#followsTtl || this.ms > 0;
  }

  /** A ttl (of an acquisition or an extension) this Redlock uses. */
  noteTtl(ttl: number): void {
    if (this.#followsTtl && ttl > this.ms) this.ms = ttl;
  }

  /** ms until `node`'s grants count again, at monotonic time `now`; 0 when they count. */
  left(node: RedisNode, now: number): number {
    return this.ms === 0 ? 0 : Math.max(0, Math.ceil(node.upSince + this.ms - now));
  }
}
