import { derivedKey } from "../keys.js";

/**
 * The keys of a semaphore, all in the hash slot of its name (one shard of a Redis Cluster):
 * its slots (each a mutex key, `{name}:slot:<i>`, i from 1), the record of its limit, its fence
 * counter, its release channel (after the release prefix), one for the whole semaphore, and a
 * fair semaphore's queue.
 */
export interface SemaphoreKeys {
  readonly slots: readonly string[];
  readonly record: string;
  readonly fence: string;
  readonly channel: string;
  /** A fair semaphore's queue and leases (as a fair lock's). */
  readonly queue: string;
  readonly leases: string;
}

export function semaphoreKeys(name: string, limit: number): SemaphoreKeys {
  const slots = Array.from({ length: limit }, (_, i) => derivedKey(name, `slot:${i + 1}`));
  return {
    slots,
    record: derivedKey(name, "limit"),
    fence: derivedKey(name, "fence"),
    channel: derivedKey(name, "permits"),
    queue: derivedKey(name, "fair-queue"),
    leases: derivedKey(name, "fair-leases"),
  };
}
