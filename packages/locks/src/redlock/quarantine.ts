import type { RedisNode } from "../client/redis-node.js";
import { hashSlot } from "../client/hash-slot.js";
import { clockDrift } from "./validity.js";

/** The key of a node's marker (see scripts/marker-open.lua); one per hash slot on a cluster. */
export const MARKER_KEY = "quorum-locks:node";

/** Shown to the scripts as the known ttl when the quarantine has a fixed length. */
const KNOWS_ALL = "";

/**
 * The restart quarantine: how long a node that lost its data does not count toward a quorum.
 * A node that restarts without persistence, or is flushed, has forgotten the locks it granted;
 * counted at once, it could hand a second client a quorum while the first still holds the lock.
 * Kept out until every lock it may have forgotten has expired, it is safe to count again.
 *
 * Which nodes lost their data is told by the nodes' markers (scripts/marker-open.lua), not by
 * their uptime: a young marker next to older ones is a node that lost its data; markers born
 * together, with no lock in sight, are a fresh deployment, whose votes count at once. The
 * judgement itself is the round's (round.ts); this holds what every round shares.
 *
 * The length is the largest ttl the nodes record (every client agrees on it, whatever ttls it
 * uses itself), plus the drift margin, unless the option fixes it. `strict` also keeps out
 * every node whose server has been up for less than the quarantine (the rule before markers).
 */
export class RestartQuarantine {
  /** The quarantine in ms now; 0 is none. */
  ms: number;
  readonly strict: boolean;
  /** Unset option: the length follows the largest ttl the nodes record. */
  readonly #learned: boolean;
  readonly #driftFactor: number;
  /** The largest ttl known to have been asked of the nodes (learned mode). */
  #knownTtl = 0;
  /** The scripts' two extra ARGV entries, rebuilt when the length changes. */
  #args: readonly [string, string];

  /**
   * @param option restartQuarantine: ms, 0 for off, undefined for the largest ttl recorded.
   * @param strict quarantine young servers too, even in a fresh deployment.
   */
  constructor(option: number | undefined, strict: boolean, driftFactor: number) {
    this.#learned = option === undefined;
    this.ms = option ?? 0;
    this.strict = strict && (this.#learned || this.ms > 0);
    this.#driftFactor = driftFactor;
    // Learned: nothing known until the first ttl is noted (every acquisition notes its own).
    this.#args = this.#learned ? ["0", "0"] : [KNOWS_ALL, String(this.ms)];
  }

  /** Whether the quarantine is in force at all (the markers are read and written). */
  get on(): boolean {
    return this.#learned || this.ms > 0;
  }

  /** The ARGV entries the wrapped acquire scripts take last: known ttl, quarantine ms. */
  get args(): readonly [string, string] {
    return this.#args;
  }

  /**
   * A ttl some client asked of the nodes: this Redlock's own (acquisitions and extensions), or
   * one a node's marker recorded. True when it raised the quarantine: rounds judged on the
   * shorter one must be tried again.
   */
  noteTtl(ttl: number): boolean {
    if (!this.#learned || ttl <= this.#knownTtl) return false;
    this.#knownTtl = ttl;
    this.ms = ttl + clockDrift(ttl, this.#driftFactor);
    this.#args = [String(ttl), String(this.ms)];
    return true;
  }

  /**
   * How far apart markers may be born and still count as born together (a fresh deployment):
   * the markers of one round are written within its command timeout, and the servers' clocks
   * may run apart by the drift factor while they age.
   */
  together(commandTimeout: number): number {
    return commandTimeout + clockDrift(this.ms, this.#driftFactor);
  }

  /**
   * ms until `node`'s grants count again by what this client saw itself, at monotonic time
   * `now`: a new server process behind a connection (restart, failover), or, in strict mode, a
   * server up for less than the quarantine. The markers' verdict comes on top, per round.
   */
  left(node: RedisNode, now: number): number {
    if (this.ms === 0) return 0;
    const since = this.strict ? Math.max(node.upSince, node.distrustedSince) : node.distrustedSince;
    return Math.max(0, Math.ceil(since + this.ms - now));
  }
}

/** Per hash slot, a short hash tag that lands in it; built on a cluster's first lock. */
let slotTags: string[] | undefined;

function buildSlotTags(): string[] {
  const tags = new Array<string>(16_384);
  let missing = tags.length;
  // About 170,000 short strings cover every slot (coupon collector over 16,384).
  for (let i = 0; missing > 0; i++) {
    const tag = i.toString(36);
    const slot = hashSlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      missing--;
    }
  }
  return tags;
}

/**
 * The marker key an acquisition of `resource` passes its script: the node's one marker, or on
 * a Redis Cluster the marker of the resource's hash slot (a script may touch only keys of one
 * slot), so that a shard that lost its data is told by its own markers.
 */
export function markerKey(resource: string, clustered: boolean): string {
  if (!clustered) return MARKER_KEY;
  slotTags ??= buildSlotTags();
  return `${MARKER_KEY}:{${slotTags[hashSlot(resource)] as string}}`;
}
