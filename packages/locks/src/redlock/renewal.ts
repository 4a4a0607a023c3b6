import { hashSlot } from "../client/hash-slot.js";
import type { RedisNode, ReplySink } from "../client/redis-node.js";
import { afterIoTurn } from "../client/timeout.js";
import type { LockError, NodeOutcome } from "../errors/index.js";
import { scripts } from "../scripts/index.js";
import { Outcome } from "../scripts/reply.js";
import type { QuorumContext } from "./context.js";
import { markerKey } from "./quarantine.js";
import { replicaWaitTimeout } from "./round.js";
import { timerDelay } from "./timer.js";

/**
 * Something the scheduler keeps alive: a lock (through its Watchdog), and whatever else holds
 * keys that store its token and are extended as extend.lua extends a lock's resources.
 */
export interface Renewable {
  /** The keys holding `token`; on a Redis Cluster they share one hash slot. */
  readonly keys: readonly string[];
  readonly token: string;
  /** The ttl each extension sets, ms. */
  readonly ttl: number;
  /** Replicas of each node that must confirm an extension (WAIT); 0 for none. */
  readonly minReplicas: number;
  /**
   * Keys kept beside it (the manager's lock info): given the same ttl where it was extended,
   * never created. Same hash slot as `keys` on a Redis Cluster.
   */
  readonly companions?: readonly string[] | undefined;
  /** ms of validity left now (0 once expired, released or lost). */
  remaining(): number;
  /** Before the call sent at `startedAt`: throws a LockError when it may not be extended. */
  begin(startedAt: number): void;
  /** The call's outcome for it: returns when it was extended, throws a LockError otherwise. */
  settle(startedAt: number, tally: RenewalTally): void;
  /**
   * Extends it on its own instead, when its keys are not a mutex's (a read-write lease, whose
   * own script extends it): resolves with whether some node healed, rejects with the LockError.
   */
  readonly alone?: (() => Promise<boolean>) | undefined;
}

/** One renewable's share of a batch: what a Round would have tallied for it alone. */
export interface RenewalTally {
  readonly granted: number;
  readonly denied: number;
  outcomes(): NodeOutcome[];
}

/** Told of what becomes of a renewal; nothing here may throw. */
export interface RenewalListener {
  /** Its extension is due now: false stops the renewal instead (a cap was reached). */
  due(): boolean;
  /** Extended; `healed`: some node had lost its keys, and has them again. */
  extended(healed: boolean): void;
  /** Lost: its validity ran out (`reason` undefined), or the extension failed with `reason`. */
  lost(reason: LockError | undefined): void;
}

/** Stops a renewal (the holder is done); idempotent. */
export interface RenewalHandle {
  stop(): void;
}

/** Locks per script call at most, and bytes of keys and tokens: one call blocks its node while it runs. */
const MAX_LOCKS = 500;
const MAX_BYTES = 128 * 1024;
/** Per lock in a call, on top of its keys and token: its three counts, and the reply's digit. */
const LOCK_OVERHEAD = 16;

const Idle = 0;
const InFlight = 1;
const Stopped = 2;

/** One renewal, in the scheduler's heap (ordered by `wake`). */
class Entry implements RenewalHandle {
  readonly renewable: Renewable;
  readonly listener: RenewalListener;
  readonly threshold: number;
  /** Half its threshold: its lead on the threshold, and how much earlier it may go with others. */
  readonly window: number;
  readonly #scheduler: RenewalScheduler;
  /** Monotonic ms: the extension is due (Idle) or the validity runs out (InFlight). */
  wake = 0;
  /** Position in the heap; -1 when not in it. */
  at = -1;
  state: number = Idle;

  constructor(
    scheduler: RenewalScheduler,
    renewable: Renewable,
    threshold: number,
    listener: RenewalListener,
  ) {
    this.#scheduler = scheduler;
    this.renewable = renewable;
    this.threshold = threshold;
    this.window = threshold / 2;
    this.listener = listener;
  }

  stop(): void {
    if (this.state === Stopped) return;
    this.state = Stopped;
    this.#scheduler.remove(this);
  }
}

/**
 * The automatic extensions of one Redlock: every watchdog's lock is extended from here, with
 * one timer in all instead of two per lock. Extensions that fall due together (each lock may go
 * up to half its threshold early) go out as one extend-many.lua call per node carrying up to
 * {@link MAX_LOCKS} locks, each judged on its own token as extend.lua judges one, and each
 * lock's outcome is decided as a Round would decide it alone: granted on a quorum, its validity
 * counted from the batch's start (startedAt + ttl − drift).
 *
 * Batches settle into groups: locks extended together are due together again. So the cost per
 * node is a few calls per threshold, whatever the number of locks: 10,000 locks cost what 20
 * cost alone.
 */
export class RenewalScheduler {
  readonly #ctx: QuorumContext;
  readonly #heap: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Monotonic ms the timer is set for (Infinity: none). */
  #timerAt = Infinity;
  /** In flight past their validity, judged after an I/O turn (see run()). */
  #overdue: Entry[] = [];
  #overdueTurn: NodeJS.Immediate | undefined;

  constructor(ctx: QuorumContext) {
    this.#ctx = ctx;
  }

  /** Renewals kept now. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Keeps `renewable` alive: extends it by its ttl when `threshold` ms of validity are left
   * (never sooner than a third of the way in), until stopped or lost. Already expired: lost at
   * once, before this returns.
   */
  keep(renewable: Renewable, threshold: number, listener: RenewalListener): RenewalHandle {
    const entry = new Entry(this, renewable, threshold, listener);
    this.#plan(entry, this.#ctx.clock.monotonic());
    this.#arm();
    return entry;
  }

  /** @internal Entry.stop(): out of the heap, nothing more sent for it. */
  remove(entry: Entry): void {
    if (entry.at >= 0) this.#heapRemove(entry);
  }

  /** Schedules `entry`'s next extension from its validity now; lost if none is left. */
  #plan(entry: Entry, now: number): void {
    const remaining = entry.renewable.remaining();
    if (remaining <= 0) {
      this.#lose(entry, undefined);
      return;
    }
    entry.state = Idle;
    // Sent with half the threshold to spare on top of it, which a timer firing late on a busy
    // event loop eats into rather than the threshold itself (and locks due within that half go
    // along); never sooner than a third of the way in, so that a threshold close to the ttl
    // cannot turn into back-to-back extensions.
    entry.wake = now + Math.max(remaining - entry.threshold - entry.window, remaining / 3);
    this.#heapPush(entry);
  }

  #lose(entry: Entry, reason: LockError | undefined): void {
    if (entry.state === Stopped) return;
    entry.stop();
    entry.listener.lost(reason);
  }

  /** The timer for the earliest wake, unless one is set at least as early. */
  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= top.wake) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = top.wake;
    const delay = timerDelay(top.wake - this.#ctx.clock.monotonic());
    // Unref'd, as a watchdog's timers were: held locks alone do not keep the process alive.
    this.#timer = setTimeout(fired, delay, this).unref();
  }

  /** @internal The timer fired: sends what is due (and what may go with it), loses the expired. */
  run(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#ctx.clock.monotonic();
    const heap = this.#heap;
    const due: Entry[] = [];
    const later: Entry[] = [];
    for (;;) {
      const top = heap[0];
      if (top === undefined) break;
      const idle = top.state === Idle;
      if (top.wake > now + (idle ? top.window : 0)) break;
      this.#heapRemove(top);
      if (!idle) {
        // In flight past its validity: lost, as a watchdog's expiry timer would have found it,
        // once the replies already received are read (a batch granted from its start gives it
        // a new validity): judged after one I/O turn, as a round's timeout is.
        if (top.renewable.remaining() <= 0) this.#overdue.push(top);
        else later.push(top);
      } else if (top.listener.due()) {
        if (top.state !== Stopped) due.push(top);
      } else {
        top.stop();
      }
    }
    for (const entry of later) {
      entry.wake = now + Math.max(1, entry.renewable.remaining());
      this.#heapPush(entry);
    }
    if (due.length > 0) this.#send(due, now);
    if (this.#overdue.length > 0 && this.#overdueTurn === undefined) {
      this.#overdueTurn = afterIoTurn(overdueChecked, this);
    }
    this.#arm();
  }

  /** @internal One I/O turn after their validity ran out in flight: still undecided, lost. */
  checkOverdue(): void {
    this.#overdueTurn = undefined;
    const overdue = this.#overdue;
    this.#overdue = [];
    const now = this.#ctx.clock.monotonic();
    for (const entry of overdue) {
      if (entry.state !== InFlight || entry.at >= 0) continue;
      const remaining = entry.renewable.remaining();
      if (remaining <= 0) {
        this.#lose(entry, undefined);
      } else {
        entry.wake = now + remaining;
        this.#heapPush(entry);
      }
    }
    this.#arm();
  }

  /** One flush: `entries` begin their extension now, in batches per node. */
  #send(entries: Entry[], now: number): void {
    const ctx = this.#ctx;
    const groups = new Map<string, Entry[]>();
    for (const entry of entries) {
      const { renewable } = entry;
      const remaining = renewable.remaining();
      if (remaining <= 0) {
        this.#lose(entry, undefined);
        continue;
      }
      if (renewable.alone !== undefined) {
        entry.state = InFlight;
        entry.wake = now + remaining;
        this.#heapPush(entry);
        renewable.alone().then(
          (healed) => {
            this.#settled(entry, undefined, healed);
          },
          (error: unknown) => {
            this.#settled(entry, error as LockError, false);
          },
        );
        continue;
      }
      try {
        renewable.begin(now);
      } catch (error) {
        this.#lose(entry, error as LockError);
        continue;
      }
      entry.state = InFlight;
      // Watched for its expiry while the call is out.
      entry.wake = now + remaining;
      this.#heapPush(entry);
      // One script call runs on one shard of a cluster: batches are per hash slot there. WAIT
      // confirms a whole call: batches are per minReplicas too.
      const slot = ctx.clustered ? hashSlot(renewable.keys[0] as string) : -1;
      const group = `${renewable.minReplicas}:${slot}`;
      const list = groups.get(group);
      if (list === undefined) groups.set(group, [entry]);
      else list.push(entry);
    }
    if (groups.size === 0) return;
    const flush = new Flush(ctx.commandTimeout);
    for (const list of groups.values()) {
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < list.length; i++) {
        const size = bytesOf((list[i] as Entry).renewable);
        if (i > start && (i - start >= MAX_LOCKS || bytes + size > MAX_BYTES)) {
          flush.add(new BatchRound(this, ctx, list.slice(start, i), now));
          start = i;
          bytes = 0;
        }
        bytes += size;
      }
      flush.add(new BatchRound(this, ctx, start === 0 ? list : list.slice(start), now));
    }
    flush.start();
  }

  /** @internal A batch decided `entry`'s extension, started at `startedAt`. */
  settle(entry: Entry, startedAt: number, tally: RenewalTally, healed: boolean): void {
    if (entry.state !== InFlight) return;
    let failure: LockError | undefined;
    try {
      entry.renewable.settle(startedAt, tally);
    } catch (error) {
      failure = error as LockError;
    }
    this.#settled(entry, failure, healed);
  }

  /** `entry`'s extension ended: extended (`failure` undefined), or failed with `failure`. */
  #settled(entry: Entry, failure: LockError | undefined, healed: boolean): void {
    if (entry.state !== InFlight) return;
    if (entry.at >= 0) this.#heapRemove(entry);
    if (failure !== undefined) {
      // Nodes failed, yet the lock keeps its validity (LockExtensionError): tried again while
      // that lasts, with the next batch, rather than given up at once; lost when it runs out.
      const remaining = entry.renewable.remaining();
      if (remaining <= 0) {
        this.#lose(entry, failure);
        return;
      }
      entry.state = Idle;
      entry.wake = this.#ctx.clock.monotonic() + Math.min(remaining / 3, entry.window);
      this.#heapPush(entry);
      this.#arm();
      return;
    }
    entry.listener.extended(healed);
    // The listener may have stopped it (Entry.stop is not seen by the type checker here).
    if ((entry.state as number) !== InFlight) return;
    this.#plan(entry, this.#ctx.clock.monotonic());
    this.#arm();
  }

  #heapPush(entry: Entry): void {
    const heap = this.#heap;
    entry.at = heap.length;
    heap.push(entry);
    this.#up(entry.at);
  }

  #heapRemove(entry: Entry): void {
    const heap = this.#heap;
    const i = entry.at;
    const last = heap.pop() as Entry;
    entry.at = -1;
    if (last === entry) return;
    heap[i] = last;
    last.at = i;
    this.#up(i);
    this.#down(last.at);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i] as Entry;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as Entry;
      if (above.wake <= entry.wake) break;
      heap[i] = above;
      above.at = i;
      i = parent;
    }
    heap[i] = entry;
    entry.at = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[i] as Entry;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child =
        right < n && (heap[right] as Entry).wake < (heap[left] as Entry).wake ? right : left;
      const below = heap[child] as Entry;
      if (below.wake >= entry.wake) break;
      heap[i] = below;
      below.at = i;
      i = child;
    }
    heap[i] = entry;
    entry.at = i;
  }
}

function fired(scheduler: RenewalScheduler): void {
  scheduler.run();
}

function overdueChecked(scheduler: RenewalScheduler): void {
  scheduler.checkOverdue();
}

function bytesOf(renewable: Renewable): number {
  let bytes = renewable.token.length + LOCK_OVERHEAD;
  for (const key of renewable.keys) bytes += key.length;
  if (renewable.companions !== undefined)
    for (const key of renewable.companions) bytes += key.length;
  return bytes;
}

/** The batches of one flush, under one timer: the command timeout, judged after an I/O turn. */
class Flush {
  readonly #rounds: BatchRound[] = [];
  readonly #timeout: number;
  #open = 0;
  #timer: NodeJS.Timeout | undefined;
  #turn: NodeJS.Immediate | undefined;

  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  add(round: BatchRound): void {
    this.#rounds.push(round);
    round.flush = this;
  }

  start(): void {
    this.#open = this.#rounds.length;
    for (const round of this.#rounds) round.send();
    if (this.#open > 0) this.#timer = setTimeout(flushTimerFired, this.#timeout, this);
  }

  /** A batch decided every lock it carried. */
  done(): void {
    this.#open--;
    if (this.#open > 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#turn !== undefined) clearImmediate(this.#turn);
    this.#timer = undefined;
    this.#turn = undefined;
  }

  /** @internal The timer fired; replies already received are read first (see afterIoTurn). */
  timerFired(): void {
    this.#timer = undefined;
    if (this.#open > 0) this.#turn = afterIoTurn(flushTimedOut, this);
  }

  /**
   * @internal The nodes still silent are timed out, for every batch still open, unless they
   * are still answering (a node that answered within the command timeout is working through a
   * backlog, say the writes of a burst of batches on a busy event loop): those get another
   * command timeout. A lock whose validity runs out meanwhile is lost on its own.
   */
  timeOut(): void {
    this.#turn = undefined;
    const now = performance.now();
    let waiting = false;
    for (const round of this.#rounds) if (round.timeOut(now)) waiting = true;
    if (waiting && this.#open > 0) {
      this.#timer = setTimeout(flushTimerFired, this.#timeout, this);
    }
  }
}

function flushTimerFired(flush: Flush): void {
  flush.timerFired();
}

function flushTimedOut(flush: Flush): void {
  flush.timeOut();
}

// A node's vote on one lock of a batch (as Round's votes); 0 is pending.
const Granted = 1;
const NotOwner = 2;
const Failed = 3;
const TimedOut = 4;

/**
 * One extend-many.lua call sent to every node: the tally of each lock it carries, decided for
 * each lock as soon as its outcome is certain (a quorum confirmed it, or can no longer), as a
 * Round with earlyFailure decides; replies after that are ignored, as a Round ignores them.
 */
class BatchRound implements ReplySink {
  flush: Flush | undefined;
  readonly #scheduler: RenewalScheduler;
  readonly #ctx: QuorumContext;
  readonly #entries: Entry[];
  readonly #startedAt: number;
  readonly #minReplicas: number;
  /** Per node, then per lock: the node's vote on that lock. */
  readonly #votes: Uint8Array;
  readonly #granted: Uint8Array;
  readonly #denied: Uint8Array;
  readonly #failed: Uint8Array;
  readonly #healed: Uint8Array;
  /** Per lock: decided. */
  readonly #decided: Uint8Array;
  /** Per node: why it failed the whole call. */
  readonly #errors: (string | undefined)[];
  /** Per node: answered (or failed). */
  readonly #answered: Uint8Array;
  #open: number;

  constructor(
    scheduler: RenewalScheduler,
    ctx: QuorumContext,
    entries: Entry[],
    startedAt: number,
  ) {
    this.#scheduler = scheduler;
    this.#ctx = ctx;
    this.#entries = entries;
    this.#startedAt = startedAt;
    this.#minReplicas = (entries[0] as Entry).renewable.minReplicas;
    const m = entries.length;
    const n = ctx.nodes.length;
    this.#votes = new Uint8Array(n * m);
    this.#granted = new Uint8Array(m);
    this.#denied = new Uint8Array(m);
    this.#failed = new Uint8Array(m);
    this.#healed = new Uint8Array(m);
    this.#decided = new Uint8Array(m);
    this.#errors = new Array<string | undefined>(n);
    this.#answered = new Uint8Array(n);
    this.#open = m;
  }

  send(): void {
    const ctx = this.#ctx;
    const locks = this.#entries.map(({ renewable }) => ({
      keys: renewable.keys,
      token: renewable.token,
      ttl: renewable.ttl,
      companions: renewable.companions,
    }));
    const args = scripts.extendMany.encode({
      locks,
      marker: markerKey((this.#entries[0] as Entry).renewable.keys[0] as string, ctx.clustered),
      quarantine: ctx.restartQuarantine.args,
    });
    const minReplicas = this.#minReplicas;
    const wait =
      minReplicas > 0
        ? ["WAIT", String(minReplicas), String(replicaWaitTimeout(ctx.commandTimeout))]
        : undefined;
    const nodes = ctx.nodes;
    for (let i = 0; i < nodes.length && this.#open > 0; i++) {
      (nodes[i] as RedisNode).dispatch(scripts.extendMany, args, this.#startedAt, this, i, wait);
    }
  }

  /** ReplySink: node `index` ran the call. */
  reply(index: number, value: unknown, replicas?: number): void {
    if (this.#open === 0 || this.#answered[index] === 1) return;
    const m = this.#entries.length;
    const decoded = scripts.extendMany.decode(value, m);
    if (decoded.marker !== undefined) this.#ctx.restartQuarantine.noteTtl(decoded.marker.recorded);
    if (decoded.outcome !== Outcome.Granted) {
      this.#nodeFailed(index, Failed, decoded.message);
      return;
    }
    if (replicas !== undefined && replicas < this.#minReplicas) {
      this.#nodeFailed(
        index,
        Failed,
        `only ${replicas} of ${this.#minReplicas} replicas confirmed the write within ` +
          `${replicaWaitTimeout(this.#ctx.commandTimeout)} ms (minReplicas)`,
      );
      return;
    }
    this.#answered[index] = 1;
    const { codes } = decoded;
    const base = index * m;
    for (let i = 0; i < m; i++) {
      if (this.#decided[i] === 1) continue;
      const code = codes[i] as number;
      if (code > 0) {
        this.#votes[base + i] = Granted;
        (this.#granted[i] as number)++;
        if (code === 2) this.#healed[i] = 1;
      } else {
        this.#votes[base + i] = NotOwner;
        (this.#denied[i] as number)++;
      }
      this.#judge(i);
    }
  }

  /** ReplySink: node `index`'s command failed. */
  fail(index: number, error: unknown): void {
    if (this.#open === 0 || this.#answered[index] === 1) return;
    this.#nodeFailed(index, Failed, error instanceof Error ? error.message : String(error));
  }

  /** Every lock still open counts node `index` as failed. */
  #nodeFailed(index: number, vote: number, message: string | undefined): void {
    this.#answered[index] = 1;
    this.#errors[index] = message;
    const m = this.#entries.length;
    const base = index * m;
    for (let i = 0; i < m; i++) {
      if (this.#decided[i] === 1) continue;
      this.#votes[base + i] = vote;
      (this.#failed[i] as number)++;
      this.#judge(i);
    }
  }

  /** Decides lock `i` if its outcome is certain. */
  #judge(i: number): void {
    const n = this.#ctx.nodes.length;
    const quorum = this.#ctx.quorum;
    const granted = this.#granted[i] as number;
    if (
      granted < quorum &&
      n - (this.#denied[i] as number) - (this.#failed[i] as number) >= quorum
    ) {
      return;
    }
    this.#decided[i] = 1;
    this.#open--;
    const tally: RenewalTally = {
      granted,
      denied: this.#denied[i] as number,
      outcomes: () => this.#outcomes(i),
    };
    this.#scheduler.settle(
      this.#entries[i] as Entry,
      this.#startedAt,
      tally,
      this.#healed[i] === 1,
    );
    if (this.#open === 0) this.flush?.done();
  }

  /**
   * @internal The command timeout ran out: the nodes still silent time out, but those still
   * answering (see Flush.timeOut). True when some node is waited for further.
   */
  timeOut(now: number): boolean {
    if (this.#open === 0) return false;
    const nodes = this.#ctx.nodes;
    let waiting = false;
    for (let index = 0; index < nodes.length && this.#open > 0; index++) {
      if (this.#answered[index] === 1) continue;
      const node = nodes[index] as RedisNode;
      if (node.isResponsive(now)) {
        waiting = true;
        continue;
      }
      node.markDown("unresponsive");
      this.#nodeFailed(index, TimedOut, undefined);
    }
    return waiting && this.#open > 0;
  }

  /** Lock `i`'s outcome on each node, for errors. */
  #outcomes(i: number): NodeOutcome[] {
    const m = this.#entries.length;
    return this.#ctx.nodes.map((node, index): NodeOutcome => {
      const label = node.label;
      switch (this.#votes[index * m + i]) {
        case Granted:
          return { node: label, status: "granted" };
        case NotOwner:
          return { node: label, status: "not-owner" };
        case Failed:
          return { node: label, status: "error", message: String(this.#errors[index]) };
        case TimedOut:
          return { node: label, status: "timeout" };
        default:
          return { node: label, status: "pending" };
      }
    });
  }
}
