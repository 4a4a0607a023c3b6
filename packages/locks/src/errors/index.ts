/**
 * The error hierarchy. Every error this library throws is a {@link LockError}; messages name
 * resources and nodes by host and port, never by credentials.
 */

import { brand, codeOf, isBranded, type LockErrorCode } from "./brand.js";

export type { LockErrorCode } from "./brand.js";

/** What one node answered in a quorum round that did not go our way. */
export type NodeOutcome =
  /** The node granted the request. */
  | { readonly node: string; readonly status: "granted" }
  /** Another owner holds the key here; `ttl` is its remaining life in ms (-1: no expiry). */
  | { readonly node: string; readonly status: "held"; readonly ttl: number }
  /** Our token is no longer on this node (expired, or another owner has it). */
  | { readonly node: string; readonly status: "not-owner" }
  /** The command failed: the node is down, refused it, or is unresponsive. */
  | { readonly node: string; readonly status: "error"; readonly message: string }
  /** No reply within the per-node command timeout. */
  | { readonly node: string; readonly status: "timeout" }
  /** Not answered yet when the outcome was already certain (a quorum could no longer be reached). */
  | { readonly node: string; readonly status: "pending" }
  /**
   * The node granted, but lost its data too recently to count (restart, flush, failover: the
   * restart quarantine); its votes count again in `ms`.
   */
  | { readonly node: string; readonly status: "quarantined"; readonly ms: number };

/**
 * Why an acquisition did not get its lock, judged once where its last round ended:
 * - `held`: another owner holds it on enough nodes to block a quorum;
 * - `split`: the votes split between owners, none with a quorum (contenders racing, or a
 *   holder missing from some nodes);
 * - `quarantined`: a quorum granted, but some of those nodes lost their data too recently to
 *   count (see the nodes' `quarantined` outcomes for when they count again);
 * - `unavailable`: failed nodes (errors, timeouts, unresponsive) alone rule out a quorum, or
 *   the nodes took the whole validity to grant.
 */
export type FailureReason = "held" | "split" | "unavailable" | "quarantined";

const MAX_NAME_IN_MESSAGE = 80;

function describeResources(resources: readonly string[]): string {
  const shown = resources
    .slice(0, 5)
    .map((r) =>
      JSON.stringify(r.length > MAX_NAME_IN_MESSAGE ? `${r.slice(0, MAX_NAME_IN_MESSAGE)}…` : r),
    );
  if (resources.length > 5) shown.push(`… ${resources.length - 5} more`);
  return `[${shown.join(", ")}]`;
}

function describeOutcome(o: NodeOutcome): string {
  switch (o.status) {
    case "granted":
      return `${o.node} granted`;
    case "held":
      return `${o.node} held by another owner${o.ttl >= 0 ? ` (${o.ttl} ms left)` : ""}`;
    case "not-owner":
      return `${o.node} no longer holds our token`;
    case "error":
      return `${o.node} error: ${o.message}`;
    case "timeout":
      return `${o.node} timed out`;
    case "pending":
      return `${o.node} not needed`;
    case "quarantined":
      return `${o.node} lost its data recently: its votes count in ${o.ms} ms (restartQuarantine)`;
  }
}

function describeOutcomes(nodes: readonly NodeOutcome[]): string {
  return nodes.length === 0 ? "" : ` (${nodes.map(describeOutcome).join("; ")})`;
}

function describeFailure(reason: FailureReason, validityRanOut: boolean): string {
  if (validityRanOut) {
    return "a quorum granted it, but its validity (ttl − elapsed − drift) ran out first";
  }
  switch (reason) {
    case "held":
      return "quorum not reached: held by another owner";
    case "split":
      return "quorum not reached: votes split";
    case "quarantined":
      return "quorum not reached: nodes that lost their data recently do not count yet";
    case "unavailable":
      return "quorum not reached: too few nodes available";
  }
}

/** What the round that ended an acquisition decided, handed to its error. */
export interface AcquisitionDetails {
  /** Why the lock was not had. */
  readonly reason: FailureReason;
  /** ms left of another owner's hold, the longest any node reported; undefined when none did. */
  readonly holderTtl?: number | undefined;
  /** A quorum granted, but the validity ran out before it was counted (for the message). */
  readonly validityRanOut?: boolean | undefined;
  /** Replaces the default message. */
  readonly message?: string | undefined;
}

/** The root of every error thrown by quorum-locks. */
export class LockError extends Error {
  static {
    brand(this, "LockError", "QUORUM_LOCKS_ERROR");
  }
  /** What kind of error this is, stable across versions: see the README's Errors table. */
  readonly code: LockErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = codeOf(new.target);
  }
  /**
   * `instanceof` by brand: true for errors of this class (or a subclass) made by any copy of
   * the package loaded in the process, its ES module and CommonJS builds alike.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value);
  }
}

/**
 * Whether `error` is an error of quorum-locks (from any copy of the package loaded in the
 * process), and when `code` is given, one with that code.
 */
export function isQuorumLocksError(error: unknown, code?: LockErrorCode): error is LockError {
  return isBranded(LockError, error) && (code === undefined || (error as LockError).code === code);
}

/** One problem found in options or arguments. */
export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `retryDelay` or `resources.2`. */
  readonly field: string;
  /** What is allowed there. */
  readonly message: string;
}

/** Options or arguments were invalid; nothing was sent to Redis. */
export class LockConfigError extends LockError {
  static {
    brand(this, "LockConfigError", "QUORUM_LOCKS_CONFIG");
  }
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid lock configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`,
    );
    this.issues = issues;
  }
  /** The first offending field. */
  get field(): string {
    return this.issues[0]?.field ?? "";
  }
}

/**
 * A quorum of nodes did not grant the lock. `nodes` holds each node's last outcome, `reason`
 * says why in one word, `holderTtl` how long another owner still holds it.
 */
export class LockAcquisitionError extends LockError {
  static {
    brand(this, "LockAcquisitionError", "QUORUM_LOCKS_ACQUISITION");
  }
  readonly resources: readonly string[];
  readonly attempts: number;
  readonly nodes: readonly NodeOutcome[];
  readonly reason: FailureReason;
  /** ms left of another owner's hold, the longest any node reported; undefined when none did. */
  readonly holderTtl: number | undefined;
  constructor(
    resources: readonly string[],
    attempts: number,
    nodes: readonly NodeOutcome[],
    details: AcquisitionDetails,
  ) {
    const { reason } = details;
    super(
      details.message ??
        `Could not acquire lock on ${describeResources(resources)} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describeFailure(reason, details.validityRanOut === true)}${describeOutcomes(nodes)}`,
    );
    this.resources = resources;
    this.attempts = attempts;
    this.nodes = nodes;
    this.reason = reason;
    this.holderTtl = details.holderTtl;
  }
}

/** The lock was not had within the caller's `timeout` (ms). */
export class LockTimeoutError extends LockAcquisitionError {
  static {
    brand(this, "LockTimeoutError", "QUORUM_LOCKS_TIMEOUT");
  }
  readonly timeout: number;
  constructor(
    resources: readonly string[],
    timeout: number,
    attempts: number,
    nodes: readonly NodeOutcome[],
    details: AcquisitionDetails,
  ) {
    super(resources, attempts, nodes, {
      ...details,
      message:
        details.message ??
        `Timed out after ${timeout} ms waiting for lock on ${describeResources(resources)} (${attempts} attempt${attempts === 1 ? "" : "s"})${describeOutcomes(nodes)}`,
    });
    this.timeout = timeout;
  }
}

/** The caller's AbortSignal ended the wait; `cause` is the signal's reason. */
export class LockAbortedError extends LockError {
  static {
    brand(this, "LockAbortedError", "QUORUM_LOCKS_ABORTED");
  }
  readonly resources: readonly string[];
  constructor(resources: readonly string[], reason: unknown) {
    super(`Acquiring lock on ${describeResources(resources)} was aborted`, { cause: reason });
    this.resources = resources;
  }
}

/** Release could not be confirmed by a quorum of nodes (they errored or timed out). */
export class LockReleaseError extends LockError {
  static {
    brand(this, "LockReleaseError", "QUORUM_LOCKS_RELEASE");
  }
  readonly resources: readonly string[];
  readonly nodes: readonly NodeOutcome[];
  constructor(resources: readonly string[], nodes: readonly NodeOutcome[]) {
    super(
      `Could not confirm release of lock on ${describeResources(resources)} on a quorum${describeOutcomes(nodes)}`,
    );
    this.resources = resources;
    this.nodes = nodes;
  }
}

/** Extension could not be confirmed by a quorum of nodes; the lock keeps its old expiration. */
export class LockExtensionError extends LockError {
  static {
    brand(this, "LockExtensionError", "QUORUM_LOCKS_EXTENSION");
  }
  readonly resources: readonly string[];
  readonly nodes: readonly NodeOutcome[];
  constructor(resources: readonly string[], nodes: readonly NodeOutcome[]) {
    super(
      `Could not extend lock on ${describeResources(resources)} on a quorum${describeOutcomes(nodes)}`,
    );
    this.resources = resources;
    this.nodes = nodes;
  }
}

/** The lock's token is no longer on a quorum of nodes: it expired there or another owner took it. */
export class LockOwnershipError extends LockError {
  static {
    brand(this, "LockOwnershipError", "QUORUM_LOCKS_OWNERSHIP");
  }
  readonly resources: readonly string[];
  readonly nodes: readonly NodeOutcome[];
  constructor(resources: readonly string[], nodes: readonly NodeOutcome[], reason?: string) {
    super(
      `Lock on ${describeResources(resources)} is no longer held by this owner${reason === undefined ? "" : `: ${reason}`}${describeOutcomes(nodes)}`,
    );
    this.resources = resources;
    this.nodes = nodes;
  }
}

/** The lock's validity ran out before the operation; it can no longer be released or extended. */
export class LockExpiredError extends LockError {
  static {
    brand(this, "LockExpiredError", "QUORUM_LOCKS_EXPIRED");
  }
  readonly resources: readonly string[];
  /** Epoch ms at which the lock's validity ended. */
  readonly expiredAt: number;
  constructor(resources: readonly string[], expiredAt: number) {
    super(
      `Lock on ${describeResources(resources)} expired at ${new Date(expiredAt).toISOString()}`,
    );
    this.resources = resources;
    this.expiredAt = expiredAt;
  }
}

/**
 * A semaphore's nodes hold permits taken with another `limit` than this call's: two processes
 * disagree on the semaphore's size, which would break its bound. Nothing was taken. The nodes
 * forget the limit once every permit of the semaphore has expired or been released.
 */
export class SemaphoreLimitError extends LockError {
  static {
    brand(this, "SemaphoreLimitError", "QUORUM_LOCKS_SEMAPHORE_LIMIT");
  }
  /** The semaphore's name. */
  readonly semaphore: string;
  /** The limit this call passed. */
  readonly limit: number;
  /** The limit the nodes record for the permits they hold. */
  readonly recorded: number;
  constructor(name: string, limit: number, recorded: number) {
    super(
      `Semaphore "${name}" is held with limit ${recorded} on the nodes, but this call passed limit ${limit}: every process must use one limit per semaphore name`,
    );
    this.semaphore = name;
    this.limit = limit;
    this.recorded = recorded;
  }
}

/**
 * A watchdog reached a cap its caller set (`maxExtensions` or `maxHoldTime`) and stopped
 * extending the lock; the routine's signal aborts with this reason. The lock is not lost: it is
 * still held until it expires (at `expiresAt`) or is released.
 */
export class LockHoldLimitError extends LockError {
  static {
    brand(this, "LockHoldLimitError", "QUORUM_LOCKS_HOLD_LIMIT");
  }
  readonly resources: readonly string[];
  /** Which cap was reached. */
  readonly limit: "maxExtensions" | "maxHoldTime";
  /** The cap's value: a number of extensions, or milliseconds. */
  readonly value: number;
  /** Extensions the watchdog made before it stopped. */
  readonly extensions: number;
  /** Epoch ms at which the lock's validity ends, since it is no longer extended. */
  readonly expiresAt: number;
  constructor(
    resources: readonly string[],
    limit: "maxExtensions" | "maxHoldTime",
    value: number,
    extensions: number,
    expiresAt: number,
  ) {
    const cap =
      limit === "maxExtensions" ? `${value} extension${value === 1 ? "" : "s"}` : `${value} ms`;
    super(
      `Lock on ${describeResources(resources)} reached its ${limit} cap (${cap}): it is not extended further and expires at ${new Date(expiresAt).toISOString()} unless released first`,
    );
    this.resources = resources;
    this.limit = limit;
    this.value = value;
    this.extensions = extensions;
    this.expiresAt = expiresAt;
  }
}

/** The current async context already holds this lock; waiting for it would never end. */
export class DeadlockError extends LockError {
  static {
    brand(this, "DeadlockError", "QUORUM_LOCKS_DEADLOCK");
  }
  readonly resource: string;
  /**
   * @param why what makes the nested acquisition wait for itself, when it is not a plain
   *   re-acquisition (which `reentrant: true` allows): an upgrade of a read lock, permits beyond
   *   a semaphore's limit.
   */
  constructor(resource: string, why?: string) {
    super(
      why === undefined
        ? `Deadlock: this async context already holds the lock on ${describeResources([resource])}; pass reentrant: true to allow nested acquisition`
        : `Deadlock: this async context already holds ${describeResources([resource])}: ${why}`,
    );
    this.resource = resource;
  }
}
