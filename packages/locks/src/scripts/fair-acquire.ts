import { decodeAcquireBody } from "./acquire.js";
import { decodeFencedBody } from "./acquire-fenced.js";
import source from "./fair-acquire.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import type { FencedGrant, Granted, Held, Marked, Unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One fair-acquire.lua call: take a lock in arrival order. */
export interface FairAcquireCall extends MarkerCall {
  readonly resource: string;
  /** The waiters' queue and their leases (fairQueueKeys). */
  readonly queue: string;
  readonly leases: string;
  /** For a fenced lock: the resource's fence counter; a grant then carries a fencing token. */
  readonly fence: string | undefined;
  readonly token: string;
  readonly ttl: number;
  /** The arrival score, the same on every node. */
  readonly arrival: number;
  /** ms a waiter's place lasts past the lock's remaining ttl. */
  readonly leaseMargin: number;
}

export type FairAcquireReply = Marked<Granted | Held | Unexpected>;
export type FairAcquireFencedReply = Marked<FencedGrant | Held | Unexpected>;

const script = defineScript("fair-acquire", source);

/**
 * KEYS: resource, queue, leases, [fence counter], marker. ARGV: token, ttl, arrival, lease
 * margin, known ttl, quarantine.
 */
function encode(call: FairAcquireCall): string[] {
  const keys = [call.resource, call.queue, call.leases];
  if (call.fence !== undefined) keys.push(call.fence);
  keys.push(call.marker);
  return evalshaArgs(script, keys, [
    call.token,
    String(call.ttl),
    String(call.arrival),
    String(call.leaseMargin),
    ...call.quarantine,
  ]);
}

/** Without a fence counter: replies as acquire.lua's. */
function decode(reply: unknown): FairAcquireReply {
  return decodeMarked(reply, decodeAcquireBody);
}

/** With a fence counter: replies as acquire-fenced.lua's. */
function decodeFenced(reply: unknown): FairAcquireFencedReply {
  return decodeMarked(reply, decodeFencedBody);
}

export const fairAcquire = { ...script, encode, decode, decodeFenced };
