import type { RedisNode, ReplySink } from "../client/redis-node.js";
import { afterIoTurn } from "../client/timeout.js";
import type { FailureReason, NodeOutcome } from "../errors/index.js";
import type { LuaScript } from "../scripts/index.js";
import { type LockDecoder, type MarkerReading, Outcome } from "../scripts/reply.js";
import type { QuorumContext } from "./context.js";

/** A node's vote in one round. */
export const Vote = {
  Pending: 0,
  Granted: 1,
  /** Acquire: another owner holds a key. */
  Held: 2,
  /** Extend/release: our token is not there. */
  NotOwner: 3,
  Error: 4,
  Timeout: 5,
  /** Not asked: the node was unresponsive (counts as failed). */
  Skipped: 6,
  /** Not asked: the lock was never set there (counts as denied). */
  NotAsked: 7,
  /**
   * Acquire: granted by a node that lost its data too recently to count (restart quarantine).
   * Counts as failed; our keys are there, so rollback and release still go to it.
   */
  Quarantined: 8,
  /**
   * Acquire: granted by a node whose marker is young, judged when the round ends: it counts if
   * the round shows a fresh deployment (see #judgeYoung), else it is Quarantined.
   */
  Young: 9,
} as const;
export type Vote = (typeof Vote)[keyof typeof Vote];

/** Votes of an acquire round, kept by the lock to know where its keys may be. */
export type Votes = Uint8Array;

/** Whether the acquire round's vote says our keys may be on that node. */
export function mayHold(vote: number | undefined): boolean {
  return vote !== Vote.Held && vote !== Vote.Skipped && vote !== Vote.NotAsked;
}

export interface RoundOptions {
  /** Ask only the nodes where an earlier acquire round's votes say our keys may be. */
  readonly holders: Votes | undefined;
  /** Do not ask nodes that stopped answering; count them as failed. */
  readonly skipUnresponsive: boolean;
  /** Decide as soon as a quorum can no longer grant (else wait for every reply). */
  readonly earlyFailure: boolean;
  /** Grants of nodes still in their restart quarantine do not count (acquisitions). */
  readonly quarantine?: boolean;
  /**
   * A grant counts only once WAIT confirms that this many replicas of the node have it (the
   * `minReplicas` option); 0 or unset sends no WAIT.
   */
  readonly minReplicas?: number;
}

/**
 * The timeout of WAIT, from the command timeout: WAIT answers after it even when too few
 * replicas acknowledged, and that answer must come back before the round gives up on the node
 * (at the command timeout), so that the node's outcome says the replicas did not confirm
 * rather than merely "timeout". Never 0: WAIT 0 would block forever.
 */
export function replicaWaitTimeout(commandTimeout: number): number {
  return Math.max(1, Math.floor(commandTimeout * 0.75));
}

/**
 * One quorum round: a script sent to every node at once, decided as soon as the outcome is
 * certain (a quorum granted, or a quorum can no longer be reached), or when the per-node
 * command timeout runs out. Replies after the decision are ignored: whatever they did on a
 * node is undone by the caller (rollback or release), which targets every node asked.
 *
 * The round is a tally: the script's command module decodes each reply, and the round counts
 * the decoded votes and decides.
 */
export class Round implements ReplySink {
  readonly votes: Votes;
  /**
   * Per node: the holder's remaining ttl (Held), the error message (Error, Skipped), or the
   * node's fencing token (Granted, fenced acquisitions).
   */
  details: (string | number | undefined)[] | undefined;
  granted = 0;
  denied = 0;
  failed = 0;
  /** Largest remaining ttl among keys held by other owners (-1 when none or unknown). */
  heldTtl = -1;
  /** Grants that did not count: their node is in its restart quarantine. */
  quarantined = 0;
  /** Held votes (another owner has a key there). */
  held = 0;
  /** Young grants were held back by another owner's early key (see #judgeYoung), not by age. */
  heldBack = false;
  /**
   * The quarantine grew during the round (a node recorded a larger ttl than this client knew),
   * and some grants were judged by their scripts on the shorter one. The acquisition tries again
   * at once.
   */
  stale = false;
  /** Per node: its marker's age in ms, when its reply carried it (a young marker); else NaN. */
  #markerAge: Float64Array | undefined;
  /** Per node: its young marker's id, when its reply carried it. */
  #markerIds: string[] | undefined;
  /** Grants waiting for the round's end to be judged (Vote.Young). */
  #young = 0;
  readonly done: Promise<Round>;
  readonly #nodes: readonly RedisNode[];
  readonly #quorum: number;
  readonly #earlyFailure: boolean;
  readonly #decode: LockDecoder;
  /** The restart quarantine in force for this round (0: grants all count). */
  /** The quarantine when the round started; the scripts judged their markers by it. */
  readonly #quarantineAtStart: number;
  /** Grants counted on a script's word that its marker is old (no age in the reply). */
  #blind = 0;
  readonly #startedAt: number;
  readonly #ctx: QuorumContext;
  /** minReplicas of this round (0: no WAIT). */
  readonly #minReplicas: number;
  /** The WAIT's timeout, for messages. */
  readonly #waitTimeout: number;
  /** Replicas that acknowledged the reply being read (Infinity: not asked). */
  #acked = Infinity;
  #pending: number;
  #decided = false;
  #timer: NodeJS.Timeout | undefined;
  /** The I/O turn the fired timer waits for before it judges (see timerFired). */
  #turn: NodeJS.Immediate | undefined;
  #resolve!: (round: Round) => void;

  constructor(
    ctx: QuorumContext,
    script: LuaScript,
    args: readonly string[],
    decode: LockDecoder,
    options: RoundOptions,
  ) {
    const nodes = ctx.nodes;
    const n = nodes.length;
    this.#nodes = nodes;
    this.#quorum = ctx.quorum;
    this.#earlyFailure = options.earlyFailure;
    this.#decode = decode;
    this.votes = new Uint8Array(n);
    this.#pending = n;
    this.done = new Promise<Round>((resolve) => {
      this.#resolve = resolve;
    });
    const holders = options.holders;
    const now = ctx.clock.monotonic();
    this.#startedAt = now;
    this.#quarantineAtStart = options.quarantine === true ? ctx.restartQuarantine.ms : 0;
    this.#ctx = ctx;
    const minReplicas = options.minReplicas ?? 0;
    this.#minReplicas = minReplicas;
    this.#waitTimeout = replicaWaitTimeout(ctx.commandTimeout);
    const wait =
      minReplicas > 0 ? ["WAIT", String(minReplicas), String(this.#waitTimeout)] : undefined;
    for (let i = 0; i < n; i++) {
      const node = nodes[i] as RedisNode;
      if (holders !== undefined && !mayHold(holders[i])) {
        this.#settle(i, Vote.NotAsked, undefined);
      } else if (options.skipUnresponsive && !node.isResponsive(now)) {
        this.#settle(i, Vote.Skipped, `unresponsive: ${node.outstanding} commands unanswered`);
      } else {
        node.dispatch(script, args, now, this, i, wait);
      }
    }
    if (!this.#decided) {
      // A shared function with the round as its argument: no closure per round.
      this.#timer = setTimeout(timerFired, ctx.commandTimeout, this);
    }
  }

  /** ReplySink: a node answered. */
  reply(index: number, value: unknown, replicas?: number): void {
    if (this.#decided) return;
    const decoded = this.#decode(value);
    // Told before the vote, which is judged by the marker's age.
    if (decoded.marker !== undefined) this.#marker(index, decoded.marker);
    // #settle judges a grant against the replicas that acknowledged it.
    this.#acked = replicas ?? Infinity;
    switch (decoded.outcome) {
      case Outcome.Granted:
        this.#settle(index, Vote.Granted, decoded.fence);
        break;
      case Outcome.Held:
        this.#settle(index, Vote.Held, decoded.ttl);
        break;
      case Outcome.NotOwner:
        this.#settle(index, Vote.NotOwner, undefined);
        break;
      default:
        this.#settle(index, Vote.Error, decoded.message);
    }
    this.#acked = Infinity;
  }

  /** ReplySink: a node's command failed. */
  fail(index: number, error: unknown): void {
    if (!this.#decided) {
      this.#settle(index, Vote.Error, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * The quarantine in force now: it may have grown during the round (a node's marker, or its
   * connection's marker check, recorded a longer ttl). Ages reported in replies are judged by it.
   */
  get #quarantine(): number {
    return this.#quarantineAtStart === 0 ? 0 : this.#ctx.restartQuarantine.ms;
  }

  /**
   * Node `i`'s reply carried its marker (marker-open.lua): it is `age` ms old, and the node
   * records `recorded` as the largest ttl asked of it.
   */
  #marker(i: number, { age, recorded, id }: MarkerReading): void {
    (this.#markerAge ??= new Float64Array(this.votes.length).fill(NaN))[i] = age;
    (this.#markerIds ??= new Array<string>(this.votes.length))[i] = id;
    this.#ctx.restartQuarantine.noteTtl(recorded);
  }

  /**
   * Whether node `i`'s young marker is the one this client already judged part of a fresh
   * deployment (the same id). A node keeps its marker until it
   * loses its data, so one whose marker is unchanged has lost nothing since: its grant counts
   * at once, as a node with an old marker's does, and the round need not wait for the others.
   */
  #sameMarker(i: number): boolean {
    const node = this.#nodes[i] as RedisNode;
    const id = this.#markerIds?.[i];
    if (id !== undefined && id !== "" && id === node.freshMarker) return true;
    node.freshMarker = undefined;
    return false;
  }

  #settle(i: number, vote: Vote, detail: string | number | undefined): void {
    if (vote === Vote.Granted && this.#acked < this.#minReplicas) {
      // Not yet on enough replicas: a failover to one of them could lose it. A failed vote,
      // so rollback and release still go to this node, where the key is.
      vote = Vote.Error;
      detail =
        `only ${this.#acked} of ${this.#minReplicas} replicas confirmed the write within ` +
        `${this.#waitTimeout} ms (minReplicas)`;
    }
    if (vote === Vote.Granted && this.#quarantineAtStart > 0) {
      // Judged at the round's start, the earliest moment: what this client saw of the node
      // (a new server process, or in strict mode a young one) keeps it out for the quarantine.
      const left = this.#ctx.restartQuarantine.left(this.#nodes[i] as RedisNode, this.#startedAt);
      const age = this.#markerAge?.[i] ?? NaN;
      if (left > 0) {
        vote = Vote.Quarantined;
        detail = left;
        this.quarantined++;
      } else if (Number.isNaN(age)) {
        this.#blind++;
      } else if (age < this.#quarantine && !this.#sameMarker(i)) {
        // A young marker: a fresh deployment or a node that lost its data; the other nodes'
        // replies tell which, so the vote waits for the round's end.
        this.votes[i] = Vote.Young;
        // A fenced grant's token, kept for when the vote is judged a grant.
        if (detail !== undefined) {
          (this.details ??= new Array<string | number | undefined>(this.votes.length))[i] = detail;
        }
        this.#young++;
        this.#pending--;
        if (this.#pending === 0) this.#decide();
        return;
      }
    }
    this.votes[i] = vote;
    this.#pending--;
    if (detail !== undefined) {
      (this.details ??= new Array<string | number | undefined>(this.votes.length))[i] = detail;
    }
    if (vote === Vote.Granted) {
      this.granted++;
    } else {
      if (vote === Vote.Held || vote === Vote.NotOwner || vote === Vote.NotAsked) this.denied++;
      else this.failed++;
      if (vote === Vote.Held) this.held++;
      if (vote === Vote.Held && typeof detail === "number" && detail > this.heldTtl) {
        this.heldTtl = detail;
      }
    }
    if (
      this.granted >= this.#quorum ||
      this.#pending === 0 ||
      (this.#earlyFailure && this.votes.length - this.denied - this.failed < this.#quorum)
    ) {
      this.#decide();
    }
  }

  /**
   * @internal The command timeout ran out. Judged after one I/O turn: a timer that fired late
   * on a busy event loop runs before the sockets are read, and replies already received
   * would otherwise count as timeouts.
   */
  timerFired(): void {
    this.#timer = undefined;
    if (this.#decided) return;
    this.#turn = afterIoTurn(timeOut, this);
  }

  /** @internal Marks every node still pending as timed out and decides the round. */
  timeOut(): void {
    this.#timer = undefined;
    this.#turn = undefined;
    if (this.#decided) return;
    const votes = this.votes;
    for (let i = 0; i < votes.length; i++) {
      if (votes[i] === Vote.Pending) {
        votes[i] = Vote.Timeout;
        this.failed++;
        this.#nodes[i]?.markDown("unresponsive");
      }
    }
    this.#pending = 0;
    this.#decide();
  }

  #decide(): void {
    this.#decided = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#turn !== undefined) clearImmediate(this.#turn);
    if (this.#young > 0) this.#judgeYoung();
    // Grants the scripts called old were judged on the quarantine of the round's start: if it
    // has grown since, they cannot be trusted, and the acquisition tries again at once.
    if (this.#blind > 0 && this.#quarantine > this.#quarantineAtStart) this.stale = true;
    this.#resolve(this);
  }

  /**
   * Decides the grants of nodes with young markers. They count when the round shows a fresh
   * deployment: every node that answered has a marker younger than the quarantine (a node that
   * answers without its marker's age has an old one: the deployment is not new), and this
   * node's marker was born with the oldest (a node restarted or flushed later than its peers is
   * younger than them); otherwise they are quarantined for the time their marker needs to come
   * of age. Nodes that did not answer are not waited for: a fresh deployment with a node down
   * works.
   *
   * One case is left that ages cannot tell: a node that lost its data within `together` of the
   * deployment's birth, under a lock granted in that moment. Such a lock still shows on its other
   * holders, as another owner's key set no later than `together` after the oldest marker was
   * born: its remaining ttl is at most (largest ttl − oldest marker age + together). While one
   * does, young grants wait for it to expire or be released.
   */
  #judgeYoung(): void {
    const votes = this.votes;
    const ages = this.#markerAge as Float64Array;
    let fresh = true;
    // Not 0: an age can be negative (a server clock stepped back since the marker was born).
    let oldest = -Infinity;
    for (let i = 0; i < votes.length && fresh; i++) {
      const vote = votes[i];
      if (vote === Vote.Pending || vote === Vote.Timeout || vote === Vote.Error) continue;
      if (vote === Vote.Skipped || vote === Vote.NotAsked) continue;
      const age = ages[i] as number;
      if (!(age < this.#quarantine)) fresh = false;
      else if (age > oldest) oldest = age;
    }
    const together = this.#ctx.restartQuarantine.together(this.#ctx.commandTimeout);
    // The longest remaining ttl among other owners' keys old enough to date from the birth.
    let early = -1;
    if (fresh) {
      const bound = this.#quarantine - oldest + together;
      for (let i = 0; i < votes.length; i++) {
        const left = votes[i] === Vote.Held ? Number(this.details?.[i] ?? -1) : -1;
        if (left >= 0 && left <= bound && left > early) early = left;
      }
    }
    for (let i = 0; i < votes.length; i++) {
      if (votes[i] !== Vote.Young) continue;
      const age = ages[i] as number;
      if (fresh && oldest - age <= together && early < 0) {
        votes[i] = Vote.Granted;
        this.granted++;
        (this.#nodes[i] as RedisNode).freshMarker = this.#markerIds?.[i];
      } else {
        votes[i] = Vote.Quarantined;
        // Held back by an early key, not by age: most likely a rival's attempt about to be
        // rolled back, so the acquisition backs off as after a split vote.
        const heldBack = fresh && oldest - age <= together;
        if (heldBack) this.heldBack = true;
        const left = heldBack ? early + 1 : this.#quarantine - age;
        (this.details ??= new Array<string | number | undefined>(votes.length))[i] =
          Math.ceil(left);
        this.quarantined++;
        this.failed++;
      }
    }
    this.#young = 0;
  }

  /**
   * Why the round did not reach a quorum: another owner's keys block one (`held`); it would
   * have been reached but for quarantined votes (`quarantined`); failed nodes alone rule one out
   * (`unavailable`); else the votes split between owners none of whom has a quorum (`split`).
   * A quorum whose validity ran out before it was counted is `unavailable` too: the nodes were
   * too slow to grant in time.
   */
  reason(): FailureReason {
    const n = this.votes.length;
    if (this.held > n - this.#quorum) return "held";
    if (this.quarantined > 0 && this.granted + this.quarantined >= this.#quorum) {
      return this.heldBack ? "split" : "quarantined";
    }
    if (this.failed - this.quarantined > n - this.#quorum || this.granted >= this.#quorum) {
      return "unavailable";
    }
    return this.held > 0 || this.granted > 0 ? "split" : "unavailable";
  }

  /**
   * ms until enough quarantined votes count again for a quorum with the grants of this round
   * (when the reason is `quarantined`).
   */
  quarantineLeft(): number {
    const left: number[] = [];
    for (let i = 0; i < this.votes.length; i++) {
      if (this.votes[i] === Vote.Quarantined) left.push(Number(this.details?.[i] ?? 0));
    }
    left.sort((a, b) => a - b);
    return left[Math.max(0, this.#quorum - this.granted - 1)] ?? 0;
  }

  /**
   * No node answered: each timed out or was skipped as unresponsive. Most likely this process or
   * the network is overloaded rather than every node down, and trying again every retryDelay
   * would only add to the load.
   */
  get silent(): boolean {
    return this.votes.every((vote) => vote === Vote.Timeout || vote === Vote.Skipped);
  }

  /** Each node's outcome, for errors. */
  outcomes(): NodeOutcome[] {
    return Array.from(this.votes, (vote, i): NodeOutcome => {
      const node = this.#nodes[i]?.label ?? `node-${i}`;
      const detail = this.details?.[i];
      switch (vote) {
        case Vote.Granted:
          return { node, status: "granted" };
        case Vote.Held:
          return { node, status: "held", ttl: typeof detail === "number" ? detail : -1 };
        case Vote.NotOwner:
        case Vote.NotAsked:
          return { node, status: "not-owner" };
        case Vote.Quarantined:
          return { node, status: "quarantined", ms: Number(detail) };
        case Vote.Error:
        case Vote.Skipped:
          return { node, status: "error", message: String(detail) };
        case Vote.Timeout:
          return { node, status: "timeout" };
        default:
          return { node, status: "pending" };
      }
    });
  }
}

function timerFired(round: Round): void {
  round.timerFired();
}

function timeOut(round: Round): void {
  round.timeOut();
}
