import source from "./release.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One release.lua call: delete the keys of one lock that still hold the token. */
export interface ReleaseCall {
  readonly resources: readonly string[];
  readonly token: string;
  /** Channel prefix for the release messages; "" publishes nothing (a rollback). */
  readonly channelPrefix: string;
}

/** Granted: some key was deleted; NotOwner: none held the token (ReleaseNone). */
export type ReleaseReply = Granted | NotOwner | Unexpected;

const script = defineScript("release", source);

/** KEYS: resources. ARGV: token, channel prefix. */
function encode(call: ReleaseCall): string[] {
  return evalshaArgs(script, call.resources, [call.token, call.channelPrefix]);
}

export const release = { ...script, encode, decode: decodeCount };
