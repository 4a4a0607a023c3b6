import type { RedisNode } from "../client/redis-node.js";
import type { NodeOutcome } from "../errors/index.js";
import type { LuaScript } from "../scripts/index.js";
import type { QuorumContext } from "./context.js";

/** A node's vote in one round. */
export const Vote = {
  Pending: 0,
  Granted: 1,
  /** Acquire: another owner holds a key. */
  Held: 2,
  /** Extend/release: our token is not there. Also used for nodes the round did not ask. */
  NotOwner: 3,
  Error: 4,
  Timeout: 5,
} as const;
export type Vote = (typeof Vote)[keyof typeof Vote];

/** How a script's reply reads as a vote. */
export type ReplyReader = (reply: unknown, round: Round, index: number) => void;

/** Which nodes a round talks to: all, or those marked true. */
export type NodeMask = readonly boolean[] | undefined;

/**
 * One quorum round: a script sent to every node at once, decided as soon as the outcome is
 * certain (a quorum granted, or a quorum can no longer be reached), or when the per-node
 * command timeout runs out. Replies after the decision are ignored: whatever they did on a
 * node is undone by the caller (rollback or release), which targets every node asked.
 */
export class Round {
  readonly votes: Vote[];
  readonly details: (string | number | undefined)[];
  /** Nodes the script was sent to (not skipped, not outside the mask). */
  readonly sent: boolean[];
  granted = 0;
  denied = 0;
  failed = 0;
  /** Largest remaining ttl among keys held by other owners (-1 when none or unknown). */
  heldTtl = -1;
  readonly #nodes: readonly RedisNode[];
  readonly #quorum: number;
  readonly #earlyFailure: boolean;
  readonly #read: ReplyReader;
  #pending: number;
  #decided = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve!: (round: Round) => void;
  readonly done: Promise<Round>;

  constructor(
    ctx: QuorumContext,
    script: LuaScript,
    args: readonly string[],
    read: ReplyReader,
    options: { mask: NodeMask; skipUnresponsive: boolean; earlyFailure: boolean },
  ) {
    const nodes = ctx.nodes;
    const n = nodes.length;
    this.#nodes = nodes;
    this.#quorum = ctx.quorum;
    this.#earlyFailure = options.earlyFailure;
    this.#read = read;
    this.votes = new Array<Vote>(n).fill(Vote.Pending);
    this.details = new Array<string | number | undefined>(n);
    this.sent = new Array<boolean>(n).fill(false);
    this.#pending = n;
    this.done = new Promise<Round>((resolve) => {
      this.#resolve = resolve;
    });
    const now = ctx.clock.monotonic();
    for (let i = 0; i < n; i++) {
      const node = nodes[i] as RedisNode;
      if (options.mask !== undefined && options.mask[i] !== true) {
        this.#settle(i, Vote.NotOwner, undefined);
      } else if (options.skipUnresponsive && !node.isResponsive(now)) {
        this.#settle(i, Vote.Error, `unresponsive: ${node.outstanding} commands unanswered`);
      } else {
        this.sent[i] = true;
        node.run(script, args, now).then(
          (reply) => {
            if (!this.#decided) this.#read(reply, this, i);
          },
          (error: unknown) => {
            if (!this.#decided) {
              this.#settle(i, Vote.Error, error instanceof Error ? error.message : String(error));
            }
          },
        );
      }
    }
    if (!this.#decided) {
      this.#timer = setTimeout(() => {
        this.#timeOut();
      }, ctx.commandTimeout);
    }
  }

  /** Records node `i`'s vote and decides the round when its outcome is certain. */
  settle(i: number, vote: Vote, detail?: string | number): void {
    if (!this.#decided) this.#settle(i, vote, detail);
  }

  #settle(i: number, vote: Vote, detail: string | number | undefined): void {
    this.votes[i] = vote;
    this.details[i] = detail;
    this.#pending--;
    if (vote === Vote.Granted) this.granted++;
    else if (vote === Vote.Held || vote === Vote.NotOwner) this.denied++;
    else this.failed++;
    if (vote === Vote.Held && typeof detail === "number" && detail > this.heldTtl) {
      this.heldTtl = detail;
    }
    const n = this.votes.length;
    if (
      this.granted >= this.#quorum ||
      this.#pending === 0 ||
      (this.#earlyFailure && n - this.denied - this.failed < this.#quorum)
    ) {
      this.#decide();
    }
  }

  #timeOut(): void {
    this.#timer = undefined;
    for (let i = 0; i < this.votes.length; i++) {
      if (this.votes[i] === Vote.Pending) {
        this.votes[i] = Vote.Timeout;
        this.failed++;
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

  /** Nodes that may hold the key after this acquire round: asked, and not answered "held". */
  mayHold(): boolean[] {
    return this.votes.map((v, i) => this.sent[i] === true && v !== Vote.Held);
  }

  /** Each node's outcome, for errors. */
  outcomes(): NodeOutcome[] {
    return this.votes.map((vote, i): NodeOutcome => {
      const node = this.#nodes[i]?.label ?? `node-${i}`;
      const detail = this.details[i];
      switch (vote) {
        case Vote.Granted:
          return { node, status: "granted" };
        case Vote.Held:
          return { node, status: "held", ttl: typeof detail === "number" ? detail : -1 };
        case Vote.NotOwner:
          return { node, status: "not-owner" };
        case Vote.Error:
          return { node, status: "error", message: String(detail) };
        case Vote.Timeout:
          return { node, status: "timeout" };
        default:
          return { node, status: "pending" };
      }
    });
  }
}
