import source from "./extend-many.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import { type Granted, type Marked, Outcome, type Unexpected, unexpected } from "./reply.js";
import { defineScript } from "./script.js";

/** One lock of an extend-many.lua call. */
export interface ExtendManyLock {
  /** The lock's keys, each holding `token` (its resources). */
  readonly keys: readonly string[];
  readonly token: string;
  /** Its new time to live, in ms from now. */
  readonly ttl: number;
  /** Keys kept beside the lock that get the same ttl where it was extended; never created. */
  readonly companions?: readonly string[] | undefined;
}

/** One extend-many.lua call: many locks, each extended as extend.lua extends one. */
export interface ExtendManyCall extends MarkerCall {
  readonly locks: readonly ExtendManyLock[];
}

/**
 * Granted: the node ran the batch; `codes` has one ReplyCode per lock, in the call's order
 * (ExtendExtended, ExtendHealed or ExtendNotOwner). Unexpected: a reply none of the script's.
 */
export type ExtendManyReply = Marked<ExtendManyBody>;
type ExtendManyBody = (Granted & { readonly codes: Uint8Array }) | Unexpected;

const script = defineScript("extend-many", source);
// The reply's characters: '0', '1', '2' (ExtendNotOwner, ExtendExtended, ExtendHealed).
const ZERO = 48;
const LAST_CODE = 2;

/**
 * KEYS: each lock's keys then its companions, the marker. ARGV: the lock count, the largest
 * ttl, then token, ttl, key count, companion count per lock, the quarantine. Built in one array
 * (a batch carries hundreds of locks): the EVALSHA call itself.
 */
function encode(call: ExtendManyCall): string[] {
  const { locks } = call;
  let keyCount = 1;
  let largest = 0;
  for (const lock of locks) {
    keyCount += lock.keys.length + (lock.companions?.length ?? 0);
    if (lock.ttl > largest) largest = lock.ttl;
  }
  const args = new Array<string>(3 + keyCount + 2 + locks.length * 4 + 2);
  args[0] = "EVALSHA";
  args[1] = script.sha;
  args[2] = String(keyCount);
  let k = 3;
  let a = 3 + keyCount;
  args[a++] = String(locks.length);
  args[a++] = String(largest);
  for (const lock of locks) {
    for (const key of lock.keys) args[k++] = key;
    const companions = lock.companions;
    if (companions !== undefined) for (const key of companions) args[k++] = key;
    args[a++] = lock.token;
    args[a++] = String(lock.ttl);
    args[a++] = String(lock.keys.length);
    args[a++] = String(companions?.length ?? 0);
  }
  args[k] = call.marker;
  args[a++] = call.quarantine[0];
  args[a] = call.quarantine[1];
  return args;
}

/** `count` digits, each a documented code; anything else is unexpected. */
function decodeBody(reply: unknown, count: number): ExtendManyBody {
  if (typeof reply !== "string" || reply.length !== count) return unexpected(reply);
  const codes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const code = reply.charCodeAt(i) - ZERO;
    if (code < 0 || code > LAST_CODE) return unexpected(reply);
    codes[i] = code;
  }
  return { outcome: Outcome.Granted, codes };
}

/** The reply of a call that carried `count` locks; the marker comes along when it is young. */
function decode(reply: unknown, count: number): ExtendManyReply {
  return decodeMarked(reply, (body) => decodeBody(body, count));
}

export const extendMany = { ...script, encode, decode };
