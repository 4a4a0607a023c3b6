import { LockConfigError, type LockError, LockHoldLimitError } from "../../errors/index.js";
import { isWellFormedName, resourceName, ttlMilliseconds } from "../../options/fields.js";
import { parseOrThrow } from "../../options/parse.js";
import { within } from "../../client/timeout.js";
import { scripts } from "../../scripts/index.js";
import { Outcome } from "../../scripts/reply.js";
import { parseOwners } from "../../scripts/semaphore-peek.js";
import type { LockContext } from "../lock.js";
import type { ResolvedRedlockOptions } from "../options.js";
import { defaultExtensionThreshold, Watchdog } from "../watchdog.js";
import { acquirePermit, type PermitPlan } from "./acquire.js";
import { type SemaphoreKeys, semaphoreKeys } from "./keys.js";
import { adoptPermit, type Permit } from "./permit.js";
import {
  type PermitOptions,
  permitOptionsSchema,
  type PermitUsingOptions,
  permitUsingOptionsSchema,
  type SemaphoreOptions,
  semaphoreOptionsSchema,
} from "./options.js";

const nameSchema = resourceName();
const ttlSchema = ttlMilliseconds();
const ignoreLoss = (): void => undefined;
const NO_OPTIONS: Partial<Record<keyof PermitUsingOptions, undefined>> = {};

type SemaphoreParts = [
  ctx: LockContext,
  defaults: Readonly<ResolvedRedlockOptions>,
  name: string,
  options: SemaphoreOptions,
];

// Set by Semaphore's static block: the constructor's context stays out of the public surface.
let construct: (...parts: SemaphoreParts) => Semaphore;

/** Makes a semaphore (Redlock.semaphore). */
export function createSemaphore(...parts: SemaphoreParts): Semaphore {
  return construct(...parts);
}

/**
 * A distributed counting semaphore: at most `limit` permits valid at once, in total over every
 * process and whatever nodes fail. It has `limit` slots, each a quorum mutex (a key per slot, in
 * the hash slot of the name); a permit holds `permits` of them on a quorum of nodes, the same
 * slots on each, with its own ttl, so a crashed holder's permits come back when their ttl ends.
 * Made by {@link Redlock.semaphore}; holds no state of its own beyond its name and options.
 *
 * @example
 * const sem = redlock.semaphore("pool:db", { limit: 5 });
 * await using permit = await sem.acquire(10_000, { permits: 2, timeout: 5_000 });
 */
export class Semaphore {
  static {
    construct = (...parts) => new Semaphore(...parts);
  }
  /** The semaphore's name. */
  readonly name: string;
  /** How many permits may be valid at once. */
  readonly limit: number;
  /** Hand out a fencing token with each permit. */
  readonly fencing: boolean;
  /** Serve waiters in arrival order. */
  readonly fair: boolean;
  readonly #ctx: LockContext;
  readonly #defaults: Readonly<ResolvedRedlockOptions>;
  readonly #keys: SemaphoreKeys;

  private constructor(...[ctx, defaults, name, options]: SemaphoreParts) {
    this.name =
      typeof name === "string" && isWellFormedName(name) && name !== ""
        ? name
        : parseOrThrow(nameSchema, name, "name");
    const opts = parseOrThrow(semaphoreOptionsSchema, options, "options");
    this.limit = opts.limit;
    this.fencing = opts.fencing ?? defaults.fencing;
    this.fair = opts.fair ?? defaults.fair;
    this.#ctx = ctx;
    this.#defaults = defaults;
    this.#keys = semaphoreKeys(this.name, this.limit);
  }

  /**
   * Takes `permits` permits (default 1), all or none, for `ttl` ms, waiting for releases when
   * the semaphore is full (woken by their notices, never polling).
   * @throws LockConfigError for invalid arguments (nothing is sent), SemaphoreLimitError when
   *   the nodes hold permits taken with another limit, LockTimeoutError when `timeout` ran out,
   *   LockAcquisitionError when the retries ran out, LockAbortedError when `signal` aborted.
   */
  acquire(ttl: number, options?: PermitOptions): Promise<Permit> {
    let plan: PermitPlan;
    try {
      plan = this.#plan(ttl, options, permitOptionsSchema);
    } catch (error) {
      return Promise.reject(error);
    }
    return acquirePermit(this.#ctx, plan);
  }

  /**
   * Runs `routine` holding the permits, extending them automatically while it runs, as
   * `redlock.using()` does for a lock: the routine's signal aborts the moment they are lost;
   * its second argument is the permit. They are released afterwards; a failed release is
   * reported through the Redlock's `releaseError` event.
   */
  using<T>(ttl: number, routine: (signal: AbortSignal, permit: Permit) => Promise<T>): Promise<T>;
  using<T>(
    ttl: number,
    options: PermitUsingOptions,
    routine: (signal: AbortSignal, permit: Permit) => Promise<T>,
  ): Promise<T>;
  async using<T>(
    ttl: number,
    optionsOrRoutine: PermitUsingOptions | ((signal: AbortSignal, permit: Permit) => Promise<T>),
    maybeRoutine?: (signal: AbortSignal, permit: Permit) => Promise<T>,
  ): Promise<T> {
    const routine = typeof optionsOrRoutine === "function" ? optionsOrRoutine : maybeRoutine;
    const options = typeof optionsOrRoutine === "function" ? undefined : optionsOrRoutine;
    if (typeof routine !== "function") {
      throw new LockConfigError([{ field: "routine", message: "must be a function" }]);
    }
    const plan = this.#plan(ttl, options, permitUsingOptionsSchema);
    const explicit =
      options?.automaticExtensionThreshold ?? this.#defaults.automaticExtensionThreshold;
    const threshold = explicit ?? defaultExtensionThreshold(plan.ttl);
    if (threshold >= plan.ttl) {
      throw new LockConfigError([
        {
          field: "automaticExtensionThreshold",
          message: `must be below the ttl (${plan.ttl} ms), or the permit would be extended continuously`,
        },
      ]);
    }
    const permit = await acquirePermit(this.#ctx, plan);
    const lock = permit.lock;
    const watchdog = new Watchdog(lock, plan.ttl, threshold, ignoreLoss, undefined, {
      maxExtensions: options?.maxExtensions,
      maxHoldTime: options?.maxHoldTime,
    });
    try {
      return await routine(watchdog.signal, permit);
    } finally {
      watchdog.stop();
      if (!watchdog.signal.aborted || watchdog.signal.reason instanceof LockHoldLimitError) {
        await lock.release().catch((error: unknown) => {
          this.#ctx.onDisposeError(lock, error as LockError);
        });
      } else {
        lock.release().catch(() => undefined);
      }
    }
  }

  /**
   * Takes back a permit of this semaphore that `JSON.stringify(permit)` described in another
   * process (see Redlock.adopt): it extends, releases and reports like the original. The wire's
   * token is a capability: whoever has it can release the permit.
   * @throws LockConfigError when the wire is malformed or names another semaphore or limit.
   */
  adopt(wire: unknown): Permit {
    const permit = adoptPermit(this.#ctx, wire);
    if (permit.name !== this.name || permit.limit !== this.limit) {
      throw new LockConfigError([
        {
          field: "permit.name",
          message: `must be a permit of the semaphore "${this.name}" (limit ${this.limit})`,
        },
      ]);
    }
    return permit;
  }

  /**
   * The permits held on a quorum now: the slots whose owner (one token) a quorum of nodes
   * reports. Nodes that fail to answer count for nobody.
   */
  async inUse(): Promise<number> {
    const ctx = this.#ctx;
    const { semaphorePeek } = scripts;
    const args = semaphorePeek.encode({ slots: this.#keys.slots });
    const now = ctx.clock.monotonic();
    // Every node's answer is read (a round would stop at a quorum of replies), each bounded by
    // the command timeout.
    const owners = await Promise.all(
      ctx.nodes.map((node) =>
        node.isResponsive(now)
          ? within(
              node.run(semaphorePeek, args, now).then(
                (reply) => {
                  const decoded = semaphorePeek.decode(reply);
                  return decoded.outcome === Outcome.Granted ? parseOwners(decoded.fence) : [];
                },
                () => [],
              ),
              ctx.commandTimeout,
              () => [],
            )
          : Promise.resolve([]),
      ),
    );
    let held = 0;
    for (let slot = 0; slot < this.limit; slot++) {
      const counts = new Map<string, number>();
      for (const node of owners) {
        const token = node[slot] ?? "";
        if (token !== "") counts.set(token, (counts.get(token) ?? 0) + 1);
      }
      if ([...counts.values()].some((count) => count >= ctx.quorum)) held++;
    }
    return held;
  }

  #plan(
    ttl: number,
    options: PermitOptions | PermitUsingOptions | undefined,
    schema: typeof permitOptionsSchema | typeof permitUsingOptionsSchema,
  ): PermitPlan {
    const validTtl =
      Number.isSafeInteger(ttl) && ttl > 0 ? ttl : parseOrThrow(ttlSchema, ttl, "ttl");
    const opts = options === undefined ? NO_OPTIONS : parseOrThrow(schema, options, "options");
    const permits = opts.permits ?? 1;
    if (permits > this.limit) {
      throw new LockConfigError([
        {
          field: "options.permits",
          message: `must be at most the semaphore's limit (${this.limit})`,
        },
      ]);
    }
    const defaults = this.#defaults;
    this.#ctx.restartQuarantine.noteTtl(validTtl);
    return {
      name: this.name,
      limit: this.limit,
      keys: this.#keys,
      permits,
      ttl: validTtl,
      fair: this.fair,
      fencing: this.fencing,
      timeout: opts.timeout,
      signal: opts.signal,
      retryCount: opts.retryCount ?? defaults.retryCount,
      retryDelay: opts.retryDelay ?? defaults.retryDelay,
      retryJitter: opts.retryJitter ?? defaults.retryJitter,
    };
  }
}
