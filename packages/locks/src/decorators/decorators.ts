import { z } from "zod";
import { LockConfigError } from "../errors/index.js";
import type { Fetcher } from "../cache/stampede.js";
import { defaultManager } from "../manager/default-manager.js";
import type { LockManager } from "../manager/lock-manager.js";
import {
  type CacheOptions,
  cacheOptionsSchema,
  type WithLockOptions,
  withLockOptionsSchema,
  type WithPermitOptions,
  withPermitOptionsSchema,
  type WithReadWriteLockOptions,
  withReadWriteLockOptionsSchema,
} from "../manager/options.js";
import { type RunOnceOptions, runOnceOptionsSchema } from "../manager/run-once.js";
import { resourceName } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { boundLockManager } from "./bound-manager.js";
import { compileKey, type KeySpec } from "./key-template.js";
import {
  type AsyncMethod,
  dualMethodDecorator,
  type DualMethodDecorator,
} from "./method-decorator.js";

/**
 * Which manager a decorator uses: one given, a function returning one (resolved at call time),
 * else the one bound to the object (bindLockManager(), the NestJS module), else the default.
 */
export interface ManagerChoice {
  /**
   * The manager to lock with (or a function returning it, read at each call); default: the one
   * bound to the object whose method is called, else the default manager.
   */
  readonly manager?: LockManager | (() => LockManager);
}

const managerSchema = z
  .custom<LockManager | (() => LockManager)>(
    (v) => typeof v === "object" || typeof v === "function",
    {
      error: "must be a LockManager or a function returning one",
    },
  )
  .optional();

function splitOptions<S extends z.ZodType>(schema: S, options: object, field: string) {
  const { manager, ...rest } = options as ManagerChoice & Record<string, unknown>;
  // Checked now, so that bad options fail when the class is defined.
  parseOrThrow(managerSchema, manager, `${field}.manager`);
  parseOrThrow(schema, rest, field);
  return {
    options: rest as z.input<S>,
    manager: (self: unknown): LockManager =>
      manager === undefined
        ? (boundLockManager(self) ?? defaultManager())
        : typeof manager === "function"
          ? manager()
          : manager,
  };
}

/**
 * Runs the method holding the lock named by `key` (a template such as "export:{0}" or
 * "order:{1.id}", or a function of the arguments), like LockManager.withLock(). Works as a
 * standard decorator and with experimentalDecorators.
 */
export function distributedLock<Args extends unknown[] = never[]>(
  key: KeySpec<Args>,
  options: WithLockOptions & ManagerChoice = {},
): DualMethodDecorator<Args> {
  const { options: lockOptions, manager } = splitOptions(withLockOptionsSchema, options, "options");
  return dualMethodDecorator<Args>("distributedLock", (original: AsyncMethod, name: string) => {
    const keyOf = compileKey(key as KeySpec<never[]>, original.length, name);
    return function (this: unknown, ...args: never[]) {
      return manager(this).withLock(keyOf(args), () => original.apply(this, args), lockOptions);
    };
  });
}

/**
 * Runs the method holding permits of the semaphore named by `key` (a template or a function of
 * the arguments, as distributedLock's), like LockManager.withPermit(): at most `limit` calls
 * (by `permits` each, default 1) run at once over every process; the others wait up to
 * `timeout`.
 */
export function withPermit<Args extends unknown[] = never[]>(
  key: KeySpec<Args>,
  options: WithPermitOptions & ManagerChoice,
): DualMethodDecorator<Args> {
  const { options: permitOptions, manager } = splitOptions(
    withPermitOptionsSchema,
    options,
    "options",
  );
  return dualMethodDecorator<Args>("withPermit", (original: AsyncMethod, name: string) => {
    const keyOf = compileKey(key as KeySpec<never[]>, original.length, name);
    return function (this: unknown, ...args: never[]) {
      return manager(this).withPermit(keyOf(args), permitOptions, () => original.apply(this, args));
    };
  });
}

function leaseDecorator(mode: "read" | "write") {
  const decorator = mode === "read" ? "readLock" : "writeLock";
  return <Args extends unknown[] = never[]>(
    key: KeySpec<Args>,
    options: WithReadWriteLockOptions & ManagerChoice = {},
  ): DualMethodDecorator<Args> => {
    const { options: leaseOptions, manager } = splitOptions(
      withReadWriteLockOptionsSchema,
      options,
      "options",
    );
    if (mode === "read" && leaseOptions.reentrant !== undefined) {
      throw new LockConfigError([
        { field: "options.reentrant", message: "only applies to writeLock" },
      ]);
    }
    return dualMethodDecorator<Args>(decorator, (original: AsyncMethod, name: string) => {
      const keyOf = compileKey(key as KeySpec<never[]>, original.length, name);
      return function (this: unknown, ...args: never[]) {
        const m = manager(this);
        const routine = () => original.apply(this, args);
        return mode === "read"
          ? m.withReadLock(keyOf(args), leaseOptions, routine)
          : m.withWriteLock(keyOf(args), leaseOptions, routine);
      };
    });
  };
}

/**
 * Runs the method holding a read lease of the read-write lock named by `key`, like
 * LockManager.withReadLock(): read-locked methods of one name run together, never alongside a
 * writeLock one. Called from inside a writeLock (or readLock) method of the same name, it runs
 * under that hold.
 */
export const readLock: <Args extends unknown[] = never[]>(
  key: KeySpec<Args>,
  options?: WithReadWriteLockOptions & ManagerChoice,
) => DualMethodDecorator<Args> = leaseDecorator("read");

/**
 * Runs the method holding the write lease of the read-write lock named by `key`, like
 * LockManager.withWriteLock(): alone, with no reader. Called from inside a readLock method of
 * the same name it throws DeadlockError (a read lock cannot be upgraded).
 */
export const writeLock: <Args extends unknown[] = never[]>(
  key: KeySpec<Args>,
  options?: WithReadWriteLockOptions & ManagerChoice,
) => DualMethodDecorator<Args> = leaseDecorator("write");

/**
 * Caches the method's result under `key` with cache-stampede protection, like
 * LockManager.protectCacheStampede(): one call across all processes computes a missing or stale
 * value, the others share it.
 */
export function cacheStampedeProtect<Args extends unknown[] = never[]>(
  key: KeySpec<Args>,
  options: CacheOptions & ManagerChoice = {},
): DualMethodDecorator<Args> {
  const { options: cacheOptions, manager } = splitOptions(cacheOptionsSchema, options, "options");
  return dualMethodDecorator<Args>(
    "cacheStampedeProtect",
    (original: AsyncMethod, name: string) => {
      const keyOf = compileKey(key as KeySpec<never[]>, original.length, name);
      return function (this: unknown, ...args: never[]) {
        const fetcher: Fetcher<unknown> = () => original.apply(this, args);
        return manager(this).protectCacheStampede(keyOf(args), fetcher, cacheOptions);
      };
    },
  );
}

/**
 * Makes each fire of a scheduled method (a `@Cron()` handler, a croner or node-cron callback
 * method) run on one process of the fleet, like LockManager.runOnce(): the fire's slot is the
 * time of the call rounded to `slot` ms (default 1 000), and the processes that do not win it
 * skip at once. The method resolves with its value where it ran, with undefined where it was
 * skipped. `at` cannot be given: a decorated method learns its fire time at the call.
 */
export function oncePerFire<Args extends unknown[] = never[]>(
  job: string,
  options: Omit<RunOnceOptions, "at"> & ManagerChoice = {},
): DualMethodDecorator<Args> {
  const { options: runOptions, manager } = splitOptions(
    runOnceOptionsSchema.omit({ at: true }),
    options,
    "options",
  );
  // Checked now, so that a bad job name fails when the class is defined.
  parseOrThrow(resourceName(), job, "job");
  return dualMethodDecorator<Args>("oncePerFire", (original: AsyncMethod) => {
    return async function (this: unknown, ...args: never[]) {
      const result = await manager(this).runOnce(job, () => original.apply(this, args), runOptions);
      return result.ran ? result.value : undefined;
    };
  });
}
