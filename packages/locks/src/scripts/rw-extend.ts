import source from "./rw-extend.lua";
import { decodeExtendBody, type ExtendReply } from "./extend.js";
import { decodeMarked, type MarkerCall } from "./marker.js";
import type { RwKeys } from "./rw-keys.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One rw-extend.lua call: a new ttl for a reader's or the writer's lease, healing it. */
export interface RwExtendCall extends MarkerCall {
  readonly keys: RwKeys;
  readonly token: string;
  /** The new time to live, in ms from now. */
  readonly ttl: number;
  readonly kind: "read" | "write";
}

const script = defineScript("rw-extend", source);

/** KEYS: writer, readers, marker. ARGV: token, ttl, "r" or "w", known ttl, quarantine. */
function encode(call: RwExtendCall): string[] {
  return evalshaArgs(
    script,
    [call.keys.writer, call.keys.readers, call.marker],
    [call.token, String(call.ttl), call.kind === "write" ? "w" : "r", ...call.quarantine],
  );
}

/** As extend's: 1 extended, 2 healed, 0 another owner is in the way. */
function decode(reply: unknown): ExtendReply {
  return decodeMarked(reply, decodeExtendBody);
}

export const rwExtend = { ...script, encode, decode };
