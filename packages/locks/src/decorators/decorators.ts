import { z } from "zod";
import type { Fetcher } from "../cache/stampede.js";
import { defaultManager } from "../manager/default-manager.js";
import type { LockManager } from "../manager/lock-manager.js";
import {
  type CacheOptions,
  cacheOptionsSchema,
  type WithLockOptions,
  withLockOptionsSchema,
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
