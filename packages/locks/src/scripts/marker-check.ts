import source from "./marker-check.lua";
import { ReplyCode } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One marker-check.lua call, on a new connection. */
export interface MarkerCheckCall {
  readonly marker: string;
  /** The run_id of the server process behind the connection. */
  readonly runId: string;
}

export interface MarkerCheckReply {
  /** Another process wrote the marker: it is young again. */
  readonly reset: boolean;
  /** The largest ttl the marker records; undefined when the reply did not say. */
  readonly recorded: number | undefined;
}

const script = defineScript("marker-check", source);

/** KEYS: marker. ARGV: run_id. */
function encode(call: MarkerCheckCall): string[] {
  return evalshaArgs(script, [call.marker], [call.runId]);
}

/** {reset, ttl}; anything else reads as "kept, no ttl". */
function decode(reply: unknown): MarkerCheckReply {
  const [reset, recorded] = Array.isArray(reply) ? (reply as unknown[]) : [];
  return {
    reset: reset === ReplyCode.MarkerCheckReset,
    recorded: typeof recorded === "number" ? recorded : undefined,
  };
}

export const markerCheck = { ...script, encode, decode };
