import { hashSlot } from "../client/hash-slot.js";
import { LockConfigError } from "../errors/index.js";
import { fairKeys, fencedKeys } from "./fencing.js";

/** Every key the acquire script of a lock touches: its resources and the keys derived from them. */
export function scriptKeys(resources: readonly string[], fair: boolean, fencing: boolean) {
  if (fair) return fairKeys(resources[0] as string, fencing);
  return fencing ? fencedKeys(resources) : resources;
}

/**
 * On a Redis Cluster node one script runs on one shard, so every key it touches must hash to
 * one slot. Throws, before anything is sent, naming each key with its slot.
 */
export function assertOneSlot(keys: readonly string[]): void {
  if (keys.length < 2) return;
  const slots = keys.map(hashSlot);
  if (slots.every((slot) => slot === slots[0])) return;
  const listed = keys.map((key, i) => `"${key}" (slot ${slots[i]})`).join(", ");
  throw new LockConfigError([
    {
      field: "resources",
      message:
        `must hash to one Redis Cluster slot, since a node is a cluster: ${listed}; ` +
        "give them a common hash tag, e.g. {order:42}:items and {order:42}:payment",
    },
  ]);
}
