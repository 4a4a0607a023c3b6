import { nodesFromEnv, quarantineFromEnv } from "./env-config.js";
import type { LockHandle } from "./lock-handle.js";
import { LockManager } from "./lock-manager.js";
import type { GetLockOptions, LockManagerOptions } from "./options.js";

// The process-wide manager used by getLock() and by decorators given no manager. It lives in
// a global slot under a registry symbol, so that every copy of the package in the process (its
// ES module and CommonJS builds loaded side by side) shares one: configureLocks() through one
// copy configures the decorators of the other.
const SLOT = Symbol.for("quorum-locks.default-manager");

interface Slot {
  current: LockManager | undefined;
}

function slot(): Slot {
  const global = globalThis as Record<symbol, Slot | undefined>;
  return (global[SLOT] ??= { current: undefined });
}

/**
 * Sets the process-wide default manager (used by getLock() and the decorators) and returns it.
 * A default manager made earlier is closed.
 */
export function configureLocks(options: LockManagerOptions): LockManager {
  const manager = new LockManager(options);
  const shared = slot();
  const previous = shared.current;
  shared.current = manager;
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
  const shared = slot();
  shared.current ??= new LockManager({ redisNodes: nodesFromEnv(), ...quarantineFromEnv() });
  return shared.current;
}

/** Acquires `name` through the default manager: see LockManager.getLock(). */
export async function getLock(name: string, options?: GetLockOptions): Promise<LockHandle> {
  return defaultManager().getLock(name, options);
}

/** Closes the default manager, if one was made; the next use makes a new one. */
export async function closeLocks(): Promise<void> {
  const shared = slot();
  const manager = shared.current;
  shared.current = undefined;
  await manager?.close();
}
