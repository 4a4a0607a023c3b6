import type { RedisNode } from "../client/redis-node.js";
import { releaseChannel } from "./channels.js";
import { timerDelay } from "./timer.js";

/**
 * How a notifier is woken. `"all"`: by every release notice of its resources (a multi-resource
 * lock: which of its resources a notice frees decides nothing alone). `"one"`: it stands in this
 * process's line for its one resource, and a notice wakes only the line's head (see
 * {@link WaitingLine}); `rank` then `tie` order the line: the fair lock's arrival score and
 * token, as its queue orders them on the nodes (a sorted set: by score, then by member), or the
 * order of joining.
 */
export type WakeMode =
  { readonly wake: "all" } | { readonly wake: "one"; readonly rank: number; readonly tie: string };

/**
 * Wakes a waiting acquisition the moment one of its resources is released on any node
 * (release.lua publishes on the resource's channel), over each node's shared subscriber
 * connection. Notifications are counted, so that one arriving while an attempt is in flight is
 * not lost: the wait that follows returns at once.
 */
export class ReleaseNotifier {
  readonly #nodes: readonly RedisNode[];
  readonly #resources: readonly string[];
  readonly #mode: WakeMode;
  readonly #stops: (() => void)[] = [];
  #count = 0;
  #wake: (() => void) | undefined;
  #listening = false;
  #stopped = false;

  constructor(
    nodes: readonly RedisNode[],
    resources: readonly string[],
    mode: WakeMode = { wake: "all" },
  ) {
    this.#nodes = nodes;
    this.#resources = resources;
    this.#mode = mode;
  }

  /** Notifications received so far. */
  get count(): number {
    return this.#count;
  }

  /** Whether some node will announce releases (else waiters must poll). */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * Subscribes on every node that can notify; resolves once each confirmed (or timed out).
   * Returns whether any node can deliver notifications.
   */
  async start(): Promise<boolean> {
    const capable = this.#nodes.filter((n) => n.channels.available);
    this.#listening = capable.length > 0;
    if (this.#mode.wake === "one" && capable.length > 0) {
      const line = WaitingLine.of(this.#nodes, this.#resources[0] as string);
      const leave = line.join(this.#mode.rank, this.#mode.tie, this.#onRelease);
      this.#stops.push(leave);
      await line.subscribed;
      return true;
    }
    const stops = await Promise.all(
      capable.flatMap((node) =>
        this.#resources.map((resource) =>
          node.channels.listen(releaseChannel(resource), this.#onRelease),
        ),
      ),
    );
    if (this.#stopped) for (const stop of stops) stop();
    else this.#stops.push(...stops);
    return capable.length > 0;
  }

  /**
   * Resolves after `ms`, or as soon as a notification beyond `since` arrives (at once if one
   * already has); rejects with the signal's reason when it aborts.
   */
  wait(ms: number, since: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#count > since) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = undefined;
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, timerDelay(ms));
      this.#wake = () => {
        finish();
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Stops listening. `owed`: a notice reached this waiter that no attempt of its answered (it
   * gives up, or was aborted, right after being woken): in a line, the next waiter gets it, so
   * that a release is never swallowed by a waiter that left.
   */
  stop(owed = false): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const stop of this.#stops.splice(0)) stop();
    if (owed && this.#mode.wake === "one") {
      WaitingLine.find(this.#nodes, this.#resources[0] as string)?.notify();
    }
    this.#wake?.();
  }

  readonly #onRelease = (): void => {
    this.#count++;
    this.#wake?.();
  };
}

interface Member {
  readonly rank: number;
  readonly tie: string;
  readonly notify: () => void;
}

// The lines of each Redlock (its nodes array), by resource.
const lines = new WeakMap<readonly RedisNode[], Map<string, WaitingLine>>();

/**
 * The waiters of one resource in this process, in order. A release notice (one per node that
 * held the lock) goes to the head alone: it attempts, and either takes the lock, whose release
 * will wake the next, or lost it to another process and waits for that holder's release. So a
 * release costs one attempt per waiting process, not one per waiter: with 128 contenders on a
 * key, every release used to start 128 rounds, of which one could win. Later notices of the
 * same release reach the head while its attempt is in flight, so that an attempt that raced the
 * release on a slower node is retried at once.
 *
 * Only single-resource waiters stand in lines: a head waiting for another resource too would
 * hold the notice while the one it frees stays free. A head that leaves without an attempt
 * answering its notice passes it on (ReleaseNotifier.stop). Waiters further back still wake
 * when the holder they saw would expire, as without a line.
 */
class WaitingLine {
  readonly #nodes: readonly RedisNode[];
  readonly #resource: string;
  /** In rank order; the head is first. */
  readonly #members: Member[] = [];
  readonly #stops: Promise<() => void>[] = [];
  /** Settles once every node confirmed the channel (or timed out). */
  readonly subscribed: Promise<unknown>;

  private constructor(nodes: readonly RedisNode[], resource: string) {
    this.#nodes = nodes;
    this.#resource = resource;
    const channel = releaseChannel(resource);
    for (const node of nodes) {
      if (node.channels.available) this.#stops.push(node.channels.listen(channel, this.notify));
    }
    this.subscribed = Promise.all(this.#stops);
  }

  static find(nodes: readonly RedisNode[], resource: string): WaitingLine | undefined {
    return lines.get(nodes)?.get(resource);
  }

  static of(nodes: readonly RedisNode[], resource: string): WaitingLine {
    let byResource = lines.get(nodes);
    if (byResource === undefined) {
      byResource = new Map();
      lines.set(nodes, byResource);
    }
    let line = byResource.get(resource);
    if (line === undefined) {
      line = new WaitingLine(nodes, resource);
      byResource.set(resource, line);
    }
    return line;
  }

  /** Adds a waiter in (rank, tie) order; returns how it leaves. */
  join(rank: number, tie: string, notify: () => void): () => void {
    const member: Member = { rank, tie, notify };
    const members = this.#members;
    let at = members.length;
    // Ranks mostly grow as waiters come: look from the back.
    while (at > 0 && after(members[at - 1] as Member, member)) at--;
    members.splice(at, 0, member);
    return () => {
      this.#leave(member);
    };
  }

  /** A release notice: the head's. */
  readonly notify = (): void => {
    this.#members[0]?.notify();
  };

  #leave(member: Member): void {
    const at = this.#members.indexOf(member);
    if (at !== -1) this.#members.splice(at, 1);
    if (this.#members.length > 0) return;
    lines.get(this.#nodes)?.delete(this.#resource);
    for (const stop of this.#stops) {
      void stop.then((unlisten) => {
        unlisten();
      });
    }
  }
}

/** Whether `a` stands behind `b`. Tokens are hex, so `>` orders them as Redis orders members. */
function after(a: Member, b: Member): boolean {
  return a.rank > b.rank || (a.rank === b.rank && a.tie > b.tie);
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
