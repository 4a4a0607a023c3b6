import { z } from "zod";
import { LockConfigError } from "../../errors/index.js";
import { resourceName, wholeNumber } from "../../options/fields.js";
import { parseOrThrow } from "../../options/parse.js";
import { createLock, type Lock, type LockContext } from "../lock.js";
import { semaphoreKeys } from "./keys.js";
import { MAX_SEMAPHORE_LIMIT } from "./options.js";

/** A permit as `JSON.stringify` writes it: enough for another process to extend or release it. */
export interface PermitWire {
  readonly v: 1;
  readonly kind: "permit";
  /** The permit's slot keys. */
  readonly resources: readonly string[];
  /** The owner's token: a capability (whoever has it can release the permit). */
  readonly token: string;
  /** Epoch ms until which the permit is valid. */
  readonly expiration: number;
  /** The fencing token, in decimal, when the semaphore is fenced. */
  readonly fencingToken?: string;
  /** The semaphore's name. */
  readonly name: string;
  readonly limit: number;
  /** How many permits it holds (its slots). */
  readonly permits: number;
}

// Set by Permit's static block: the constructor stays out of the public surface.
let construct: (name: string, limit: number, lock: Lock) => Permit;

/** Makes a permit around the lock on its slots (the acquisition, adoptPermit). */
export function createPermit(name: string, limit: number, lock: Lock): Permit {
  return construct(name, limit, lock);
}

/**
 * Permits held on a quorum: `permits` slots of the semaphore `name`, each a quorum mutex held with
 * this permit's token. Made by {@link Semaphore.acquire}. It is a {@link Lock} on its slot keys
 * (`lock`), so it extends, heals, releases and expires as a lock does; its release wakes the
 * semaphore's waiters.
 */
export class Permit implements AsyncDisposable {
  static {
    construct = (name, limit, lock) => new Permit(name, limit, lock);
  }
  /** The semaphore's name. */
  readonly name: string;
  /** The semaphore's limit. */
  readonly limit: number;
  /** How many permits this holds. */
  readonly permits: number;
  /** The lock on the permit's slot keys, which does the work. */
  readonly lock: Lock;

  private constructor(name: string, limit: number, lock: Lock) {
    this.name = name;
    this.limit = limit;
    this.permits = lock.resources.length;
    this.lock = lock;
  }

  /** The permit's slot keys. */
  get resources(): readonly string[] {
    return this.lock.resources;
  }

  /** The owner's random token (stored in every slot key). */
  get value(): string {
    return this.lock.value;
  }

  /** Epoch ms until which the permit is valid (after the drift margin). */
  get expiration(): number {
    return this.lock.expiration;
  }

  /** ms of validity left; 0 once expired, released or lost. */
  get remaining(): number {
    return this.lock.remaining;
  }

  /**
   * With `fencing: true`: larger than the fencing token of every earlier permit of this
   * semaphore. Undefined without fencing.
   */
  get fencingToken(): bigint | undefined {
    return this.lock.fencingToken;
  }

  /** True only while the permit is held and its validity has not run out. */
  isHeld(): boolean {
    return this.lock.isHeld();
  }

  /** Sets the permit's ttl to `duration` ms from now on a quorum; as {@link Lock.extend}. */
  async extend(duration: number): Promise<this> {
    await this.lock.extend(duration);
    return this;
  }

  /** Gives the permits back and wakes the semaphore's waiters; as {@link Lock.release}. */
  release(): Promise<void> {
    return this.lock.release();
  }

  /** Releases the permit at the end of an `await using` scope; never throws. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.lock[Symbol.asyncDispose]();
  }

  /**
   * The wire form ({@link PermitWire}); `redlock.adopt(wire)` or `semaphore.adopt(wire)` rebuilds
   * the permit from it in another process.
   */
  toJSON(): PermitWire {
    const fence = this.lock.fencingToken;
    return {
      v: 1,
      kind: "permit",
      resources: this.lock.resources,
      token: this.lock.value,
      // Whole ms, rounded down: the adopter never thinks it valid longer than it is.
      expiration: Math.floor(this.lock.expiration),
      ...(fence === undefined ? {} : { fencingToken: fence.toString() }),
      name: this.name,
      limit: this.limit,
      permits: this.permits,
    };
  }
}

const wireSchema = z.strictObject({
  v: z.literal(1, { error: "must be 1" }),
  kind: z.literal("permit", { error: 'must be "permit"' }),
  resources: z.array(resourceName(), { error: "must be a list of slot keys" }).min(1),
  token: z.string({ error: "must be a string" }).regex(/^[0-9a-f]{32,}$/, {
    error: "must be a token of hex digits",
  }),
  expiration: z.number({ error: "must be epoch milliseconds" }).int().positive(),
  fencingToken: z
    .string({ error: "must be a decimal string" })
    .regex(/^[0-9]+$/, { error: "must be a decimal string" })
    .optional(),
  name: resourceName(),
  limit: wholeNumber(1).max(MAX_SEMAPHORE_LIMIT),
  permits: wholeNumber(1),
});

/**
 * Rebuilds a permit from its wire form (another process's `JSON.stringify(permit)`), to extend
 * or release it here. Its validity runs until the wire's `expiration` on this machine's clock.
 * @throws LockConfigError when `wire` is malformed or its slot keys are not the semaphore's.
 */
export function adoptPermit(ctx: LockContext, wire: unknown): Permit {
  const parsed = parseOrThrow(wireSchema, wire, "permit");
  const slots = new Set(semaphoreKeys(parsed.name, parsed.limit).slots);
  const issues: { field: string; message: string }[] = [];
  if (parsed.permits !== parsed.resources.length || parsed.permits > parsed.limit) {
    issues.push({ field: "permit.permits", message: "must be the number of its slot keys" });
  }
  if (
    new Set(parsed.resources).size !== parsed.resources.length ||
    parsed.resources.some((key) => !slots.has(key))
  ) {
    issues.push({
      field: "permit.resources",
      message: "must be distinct slot keys of the named semaphore",
    });
  }
  if (issues.length > 0) throw new LockConfigError(issues);
  const validUntil = ctx.clock.monotonic() + (parsed.expiration - ctx.clock.wall());
  const keys = semaphoreKeys(parsed.name, parsed.limit);
  // Any node may hold the slots: an empty vote array (every vote pending) sends the release to
  // all of them.
  const lock = createLock(
    ctx,
    parsed.resources,
    parsed.token,
    0,
    new Uint8Array(ctx.nodes.length),
    validUntil,
    0,
    parsed.fencingToken === undefined ? undefined : BigInt(parsed.fencingToken),
    { kind: "permit", name: parsed.name, channel: keys.channel },
  );
  return createPermit(parsed.name, parsed.limit, lock);
}
