import type { RedisNode, ReplySink } from "../client/redis-node.js";
import type { NodeOutcome } from "../errors/index.js";
import type { LuaScript } from "../scripts/index.js";
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
   * Acquire: granted by a node that (re)started too recently to count (restart quarantine).
   * Counts as failed; our keys are there, so rollback and release still go to it.
   */
  Quarantined: 8,
} as const;
export type Vote = (typeof Vote)[keyof typeof Vote];

/** How a script's reply reads as a vote. */
export type ReplyReader = (reply: unknown, round: Round, index: number) => void;

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
  readonly done: Promise<Round>;
  readonly #nodes: readonly RedisNode[];
  readonly #quorum: number;
  readonly #earlyFailure: boolean;
  readonly #read: ReplyReader;
  /** The restart quarantine in force for this round (0: grants all count). */
  readonly #quarantine: number;
  readonly #startedAt: number;
  /** minReplicas of this round (0: no WAIT). */
  readonly #minReplicas: number;
  /** The WAIT's timeout, for messages. */
  readonly #waitTimeout: number;
  /** Replicas that acknowledged the reply being read (Infinity: not asked). */
  #acked = Infinity;
  #pending: number;
  #decided = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve!: (round: Round) => void;

  constructor(
    ctx: QuorumContext,
    script: LuaScript,
    args: readonly string[],
    read: ReplyReader,
    options: RoundOptions,
  ) {
    const nodes = ctx.nodes;
    const n = nodes.length;
    this.#nodes = nodes;
    this.#quorum = ctx.quorum;
    this.#earlyFailure = options.earlyFailure;
    this.#read = read;
    this.votes = new Uint8Array(n);
    this.#pending = n;
    this.done = new Promise<Round>((resolve) => {
      this.#resolve = resolve;
    });
    const holders = options.holders;
    const now = ctx.clock.monotonic();
    this.#startedAt = now;
    this.#quarantine = options.quarantine === true ? ctx.restartQuarantine.ms : 0;
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
      this.#timer = setTimeout(timeOut, ctx.commandTimeout, this);
    }
  }

  /** ReplySink: a node answered. */
  reply(index: number, value: unknown, replicas?: number): void {
    if (this.#decided) return;
    if (replicas === undefined) {
      this.#read(value, this, index);
      return;
    }
    // The reader settles synchronously; #settle judges a grant against this count.
    this.#acked = replicas;
    try {
      this.#read(value, this, index);
    } finally {
      this.#acked = Infinity;
    }
  }

  /** ReplySink: a node's command failed. */
  fail(index: number, error: unknown): void {
    if (!this.#decided) {
      this.#settle(index, Vote.Error, error instanceof Error ? error.message : String(error));
    }
  }

  /** Records node `i`'s vote and decides the round when its outcome is certain. */
  settle(i: number, vote: Vote, detail?: string | number): void {
    if (!this.#decided) this.#settle(i, vote, detail);
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
    if (vote === Vote.Granted && this.#quarantine > 0) {
      // Judged at the round's start, the earliest moment: the node counts only if it had been
      // up for the whole quarantine already then.
      const left = (this.#nodes[i] as RedisNode).upSince + this.#quarantine - this.#startedAt;
      if (left > 0) {
        vote = Vote.Quarantined;
        detail = `restarted recently: its votes count in ${Math.ceil(left)} ms (restartQuarantine)`;
        this.quarantined++;
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

  /** @internal Marks every node still pending as timed out and decides the round. */
  timeOut(): void {
    this.#timer = undefined;
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
    this.#resolve(this);
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
        case Vote.Error:
        case Vote.Skipped:
        case Vote.Quarantined:
          return { node, status: "error", message: String(detail) };
        case Vote.Timeout:
          return { node, status: "timeout" };
        default:
          return { node, status: "pending" };
      }
    });
  }
}

function timeOut(round: Round): void {
  round.timeOut();
}
