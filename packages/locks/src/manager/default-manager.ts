import { nodesFromEnv, quarantineFromEnv } from "./env-config.js";
import type { LockHandle } from "./lock-handle.js";
import { LockManager } from "./lock-manager.js";
import type { GetLockOptions, LockManagerOptions } from "./options.js";

// The process-wide manager used by getLock() and by decorators given no manager.
let current: LockManager | undefined;

/**
 * Sets the process-wide default manager (used by getLock() and the decorators) and returns it.
 * A default manager made earlier is closed.
 */
export function configureLocks(options: LockManagerOptions): LockManager {
  const manager = new LockManager(options);
  const previous = current;
  current = manager;
  previous?.close().catch(() => undefined);
  return manager;
}

/**
 * The process-wide default manager; made on first use from the environment when configureLocks()
 * was not called (REDLOCK_NODES, else REDIS_URL, else REDIS_HOST + REDIS_PORT + REDIS_PASSWORD;
 * REDLOCK_RESTART_QUARANTINE sets restartQuarantine).
 * @throws LockConfigError when nothing is configured.
 */
export function defaultManager(): LockManager {
  current ??= new LockManager({ redisNodes: nodesFromEnv(), ...quarantineFromEnv() });
  return current;
}

/** Acquires `name` through the default manager: see LockManager.getLock(). */
export async function getLock(name: string, options?: GetLockOptions): Promise<LockHandle> {
  return defaultManager().getLock(name, options);
}

/** Closes the default manager, if one was made; the next use makes a new one. */
export async function closeLocks(): Promise<void> {
  const manager = current;
  current = undefined;
  await manager?.close();
}
