import { LockConfigError } from "../errors/index.js";
import { LockManager } from "../manager/lock-manager.js";

// Weak: binding an object never keeps it alive.
const bound = new WeakMap<object, LockManager>();

/**
 * Makes the decorators on `instance`'s methods that were given no `manager` lock with `manager`
 * (instead of the default manager). A framework binds the objects it creates: the NestJS module
 * binds each provider and controller of its application to the module's manager.
 * @throws LockConfigError when `instance` is not an object or `manager` not a LockManager.
 */
export function bindLockManager(instance: object, manager: LockManager): void {
  const value: unknown = instance;
  if ((typeof value !== "object" && typeof value !== "function") || value === null) {
    throw new LockConfigError([{ field: "instance", message: "must be an object" }]);
  }
  if (!(manager instanceof LockManager)) {
    throw new LockConfigError([{ field: "manager", message: "must be a LockManager" }]);
  }
  bound.set(instance, manager);
}

/** The manager bound to `instance` by bindLockManager(), if any. */
export function boundLockManager(instance: unknown): LockManager | undefined {
  return (typeof instance === "object" || typeof instance === "function") && instance !== null
    ? bound.get(instance)
    : undefined;
}
