import type { RwKeys } from "../../scripts/rw-keys.js";
import { releaseChannel } from "../channels.js";
import { derivedKey } from "../keys.js";

/** The keys of the read-write lock `name`, all in its hash slot (see derivedKey). */
export function rwKeys(name: string): RwKeys {
  return {
    writer: derivedKey(name, "rw-writer"),
    readers: derivedKey(name, "rw-readers"),
    intent: derivedKey(name, "rw-intent"),
  };
}

/** The writer's fence counter: derived from the writer key, as raiseFence derives it. */
export function rwFenceKey(keys: RwKeys): string {
  return derivedKey(keys.writer, "fence");
}

/**
 * The channel on which the rw scripts announce a release (of a reader, of the writer, of a
 * waiting writer's intent): the release channel of the writer key, on which waiters listen.
 */
export function rwChannel(keys: RwKeys): string {
  return releaseChannel(keys.writer);
}
