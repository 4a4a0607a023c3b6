import source from "./release.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One release.lua call: delete the keys of one lock that still hold the token. */
export interface ReleaseCall {
  readonly resources: readonly string[];
  readonly token: string;
  /** Channel prefix for the release messages; "" publishes nothing (a rollback). */
  readonly channelPrefix: string;
  /**
   * One channel (after the prefix) announcing the whole release, instead of one per key: a
   * semaphore's permit, whose waiters listen on the semaphore's channel.
   */
  readonly channel?: string | undefined;
}

/** Granted: some key was deleted; NotOwner: none held the token (ReleaseNone). */
export type ReleaseReply = Granted | NotOwner | Unexpected;

const script = defineScript("release", source);

/** KEYS: resources. ARGV: token, channel prefix, [channel]. */
function encode(call: ReleaseCall): string[] {
  const argv = [call.token, call.channelPrefix];
  if (call.channel !== undefined) argv.push(call.channel);
  return evalshaArgs(script, call.resources, argv);
}

export const release = { ...script, encode, decode: decodeCount };
