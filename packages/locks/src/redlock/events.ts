import { type Channel, channel } from "node:diagnostics_channel";
import type { EventEmitter } from "node:events";
import type { LockError } from "../errors/index.js";

/**
 * How many characters of a lock's token its events carry: enough to tell owners apart in logs,
 * too few to release or extend someone else's lock with.
 */
export const LOCK_ID_LENGTH = 8;

/** A lock's public identity in events: the first {@link LOCK_ID_LENGTH} characters of its token. */
export function lockIdOf(token: string): string {
  return token.slice(0, LOCK_ID_LENGTH);
}

/** What every lock event carries. */
export interface LockEventBase {
  /** The resource names of the lock. */
  readonly resources: readonly string[];
  /** How long the call took, in ms, from the call to its outcome. */
  readonly duration: number;
  /**
   * For a lock that serves another primitive: `"permit"`, a semaphore's permit (its resources
   * are then the permit's slot keys), or `"read"`/`"write"`, a read-write lock's lease (its
   * resources are then the read-write lock's name); absent for a plain lock.
   */
  readonly kind?: "permit" | "read" | "write";
}

/** A lock was acquired on a quorum. */
export interface AcquiredEvent extends LockEventBase {
  /** The first 8 characters of the owner's token (never the whole token). */
  readonly lockId: string;
  /** Attempts it took (1 when it was free). */
  readonly attempts: number;
  /** Nodes that granted it in the winning attempt. */
  readonly granted: number;
  /** Some attempt found a resource held by another owner. */
  readonly contended: boolean;
  /** Whether it was a fair (first come, first served) acquisition. */
  readonly fair: boolean;
  /** ms of validity the lock started with (ttl − elapsed − drift). */
  readonly validity: number;
}

/** Why an acquisition ended without the lock. */
export type AcquireFailure =
  /** The caller's `timeout` ran out. */
  | "timeout"
  /** The retries ran out. */
  | "exhausted"
  /** The caller's signal aborted. */
  | "aborted"
  /** Something unexpected (the error says what). */
  | "error";

/** An acquisition ended without the lock (the call rejected with `error`). */
export interface AcquireFailedEvent extends LockEventBase {
  readonly attempts: number;
  /** Some attempt found a resource held by another owner. */
  readonly contended: boolean;
  readonly outcome: AcquireFailure;
  readonly error: LockError;
}

/** A lock was extended on a quorum. */
export interface ExtendedEvent extends LockEventBase {
  readonly lockId: string;
  /** The new ttl, in ms. */
  readonly ttl: number;
  /** Nodes that confirmed the extension. */
  readonly granted: number;
}

/** An extension failed (the call rejected with `error`). */
export interface ExtendFailedEvent extends LockEventBase {
  readonly lockId: string;
  readonly ttl: number;
  readonly error: LockError;
  /** The failure means the lock is lost (expired, or a quorum no longer has our token). */
  readonly lost: boolean;
}

/** A lock was released on a quorum. */
export interface ReleasedEvent extends LockEventBase {
  readonly lockId: string;
}

/** A release failed (the call rejected with `error`; whatever is left of the keys expires). */
export interface ReleaseFailedEvent extends LockEventBase {
  readonly lockId: string;
  readonly error: LockError;
}

/**
 * A held lock turned out to be lost: an extension found it expired or taken over, or the
 * watchdog of `using()` (or of a manager's `autoExtend` lock) could not keep it.
 */
export interface LostEvent {
  readonly resources: readonly string[];
  /** As {@link LockEventBase.kind}. */
  readonly kind?: "permit" | "read" | "write";
  readonly lockId: string;
  /** Why: LockExpiredError, LockOwnershipError or the extension's failure. */
  readonly error: LockError;
}

/** A node stopped answering. */
export interface NodeDownEvent {
  /** host:port (never credentials). */
  readonly node: string;
  /**
   * `unresponsive`: commands were left unanswered for `commandTimeout` ms; `error`: a command
   * or the connection failed.
   */
  readonly reason: "unresponsive" | "error";
  /** The failure, for `error`. */
  readonly error: Error | undefined;
}

/** A node that was down answered again. */
export interface NodeUpEvent {
  readonly node: string;
  /** ms since it was reported down. */
  readonly downFor: number;
}

/** A reconnection found a new server process behind a node (another run_id): it restarted. */
export interface NodeRestartedEvent {
  readonly node: string;
  /** The new server process' run_id. */
  readonly runId: string;
  /** ms until the node's grants count toward a quorum again (its restart quarantine). */
  readonly quarantinedFor: number;
}

/** The lifecycle events and their payloads, by name. */
export interface LifecycleEvents {
  acquired: AcquiredEvent;
  acquireFailed: AcquireFailedEvent;
  extended: ExtendedEvent;
  extendFailed: ExtendFailedEvent;
  released: ReleasedEvent;
  releaseFailed: ReleaseFailedEvent;
  lost: LostEvent;
  nodeDown: NodeDownEvent;
  nodeUp: NodeUpEvent;
  nodeRestarted: NodeRestartedEvent;
}

/** A lifecycle event's name. */
export type LifecycleEventName = keyof LifecycleEvents;

/**
 * The `node:diagnostics_channel` channel names on which every Redlock of the process publishes
 * its lifecycle events (the same payloads as its EventEmitter events), e.g.
 * `diagnostics_channel.subscribe(diagnosticsChannels.acquired, (event) => ...)`.
 */
export const diagnosticsChannels: { readonly [K in LifecycleEventName]: `quorum-locks:${K}` } = {
  acquired: "quorum-locks:acquired",
  acquireFailed: "quorum-locks:acquireFailed",
  extended: "quorum-locks:extended",
  extendFailed: "quorum-locks:extendFailed",
  released: "quorum-locks:released",
  releaseFailed: "quorum-locks:releaseFailed",
  lost: "quorum-locks:lost",
  nodeDown: "quorum-locks:nodeDown",
  nodeUp: "quorum-locks:nodeUp",
  nodeRestarted: "quorum-locks:nodeRestarted",
};

// Held for the life of the process: a channel without a strong reference may be collected
// along with its subscribers on some Node versions.
const channels = Object.fromEntries(
  Object.entries(diagnosticsChannels).map(([name, id]) => [name, channel(id)]),
) as Record<LifecycleEventName, Channel>;

type Emitter = Pick<EventEmitter, "listenerCount" | "emit">;

/**
 * Publishes one Redlock's lifecycle events to its EventEmitter listeners and to the diagnostics
 * channels. Callers ask `observed()` first and build a payload only when someone listens, so an
 * unobserved lock costs a property lookup per event. A listener that throws cannot break a lock
 * operation: its error is rethrown on the next tick, as diagnostics_channel does.
 */
export class Lifecycle {
  readonly #emitter: Emitter;

  constructor(emitter: Emitter) {
    this.#emitter = emitter;
  }

  observed(name: LifecycleEventName): boolean {
    return channels[name].hasSubscribers || this.#emitter.listenerCount(name) > 0;
  }

  publish<K extends LifecycleEventName>(name: K, payload: LifecycleEvents[K]): void {
    const ch = channels[name];
    if (ch.hasSubscribers) ch.publish(payload);
    if (this.#emitter.listenerCount(name) === 0) return;
    try {
      this.#emitter.emit(name, payload);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
