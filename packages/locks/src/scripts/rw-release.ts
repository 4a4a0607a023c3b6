import source from "./rw-release.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import type { RwKeys } from "./rw-keys.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One rw-release.lua call: take a reader or the writer out of a read-write lock. */
export interface RwReleaseCall {
  readonly keys: RwKeys;
  readonly token: string;
  /** The release channel; "" publishes nothing (a rollback). */
  readonly channel: string;
  /** Also delete the write intent if it is ours (releasing, giving up; not a rollback). */
  readonly dropIntent: boolean;
}

/** Granted: a lease was deleted; NotOwner: the token held none here (ReleaseNone). */
export type RwReleaseReply = Granted | NotOwner | Unexpected;

const script = defineScript("rw-release", source);

/** KEYS: writer, readers, intent. ARGV: token, channel, "1" or "0" (drop the intent). */
function encode(call: RwReleaseCall): string[] {
  const { writer, readers, intent } = call.keys;
  return evalshaArgs(
    script,
    [writer, readers, intent],
    [call.token, call.channel, call.dropIntent ? "1" : "0"],
  );
}

export const rwRelease = { ...script, encode, decode: decodeCount };
