import source from "./rw-downgrade.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import type { RwKeys } from "./rw-keys.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One rw-downgrade.lua call: the writer becomes a reader with the same token. */
export interface RwDowngradeCall {
  readonly keys: RwKeys;
  readonly token: string;
  /** The reader's time to live, in ms. */
  readonly ttl: number;
  /** The release channel (waiting readers may come in now); "" publishes nothing. */
  readonly channel: string;
}

/** Granted: the token is a reader now (RwDowngraded); NotOwner: it held nothing (ReleaseNone). */
export type RwDowngradeReply = Granted | NotOwner | Unexpected;

const script = defineScript("rw-downgrade", source);

/** KEYS: writer, readers. ARGV: token, ttl, channel. */
function encode(call: RwDowngradeCall): string[] {
  return evalshaArgs(
    script,
    [call.keys.writer, call.keys.readers],
    [call.token, String(call.ttl), call.channel],
  );
}

export const rwDowngrade = { ...script, encode, decode: decodeCount };
