/**
 * The integers the scripts reply with, by name. Each script's header lists those it returns;
 * the decoders compare against these, never against bare numbers. Acquire scripts also reply
 * with n > 0 (another token holds a key, which expires in n - 1 ms) and release with the number
 * of keys it deleted. (Documented here rather than per entry: comments inside an object
 * literal would ship in the bundle.)
 *
 * - AcquireGranted (acquire, fair-acquire): every key now holds the token.
 * - AcquireHeldForever (acquire, acquire-fenced, fair-acquire): another token holds a key, with
 *   no expiry.
 * - ExtendNotOwner: some key holds another owner's token; nothing was changed.
 *   ExtendExtended: every key held the token and was extended. ExtendHealed: extended, and the
 *   keys that were missing hold the token again.
 * - ReleaseNone: no key held the token (none deleted).
 * - FenceRaiseNotHeld / FenceRaiseHeld: some resource key no longer holds the owner's token /
 *   every one still does.
 * - FairLeaveAbsent / FairLeaveLeft: the token was not waiting there / it was, and left.
 * - CacheWriteChanged / CacheWriteWritten (first element of the reply): the entry changed since
 *   the writer read it, not written / written.
 * - CacheFailGone / CacheFailMarked: the entry is gone or changed / the back-off was recorded.
 * - MarkerCheckKept / MarkerCheckReset (first element): the marker was this process' own, or
 *   new / another process wrote it, and it is young again.
 * - RwDowngraded (rw-downgrade): the token is a reader now (ReleaseNone: it held nothing).
 */
export const ReplyCode = {
  AcquireGranted: 0,
  AcquireHeldForever: -1,
  ExtendNotOwner: 0,
  ExtendExtended: 1,
  ExtendHealed: 2,
  ReleaseNone: 0,
  FenceRaiseNotHeld: 0,
  FenceRaiseHeld: 1,
  FairLeaveAbsent: 0,
  FairLeaveLeft: 1,
  CacheWriteChanged: 0,
  CacheWriteWritten: 1,
  CacheFailGone: 0,
  CacheFailMarked: 1,
  MarkerCheckKept: 0,
  MarkerCheckReset: 1,
  RwDowngraded: 1,
} as const;

/**
 * What one node did with a lock script, decoded from its reply: Granted (done as asked:
 * granted, extended, released, raised, left), Held (acquire: another owner holds a key),
 * NotOwner (extend, release, fence-raise, fair-leave: our token is not there), Unexpected (a
 * reply that is none of those the script documents).
 */
export const Outcome = { Granted: 1, Held: 2, NotOwner: 3, Unexpected: 4 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** The node did what was asked; `fence` is its fencing token (decimal) for a fenced grant. */
export interface Granted {
  readonly outcome: typeof Outcome.Granted;
  readonly fence?: string;
}
/** A fenced acquire script's grant. */
export interface FencedGrant extends Granted {
  readonly fence: string;
}
/** Another owner holds a key for `ttl` more ms (-1: it has no expiry). */
export interface Held {
  readonly outcome: typeof Outcome.Held;
  readonly ttl: number;
}
export interface NotOwner {
  readonly outcome: typeof Outcome.NotOwner;
}
export interface Unexpected {
  readonly outcome: typeof Outcome.Unexpected;
  /** What came back, for errors. */
  readonly message: string;
}

/** A node's marker, as a wrapped script's reply carried it (see marker-open.lua). */
export interface MarkerReading {
  /** ms since the marker was written, on the server's clock (negative if the clock stepped back). */
  readonly age: number;
  /** The largest ttl (ms) the marker records. */
  readonly recorded: number;
  /** The marker's id: another id is another marker, however soon after. */
  readonly id: string;
}

/** A reply of a script wrapped in marker-open/marker-close: the marker, when it came along. */
export type Marked<T> = T & { readonly marker?: MarkerReading };

/** Any lock script's decoded reply: what a round tallies. */
export type LockReply = Marked<Granted | Held | NotOwner | Unexpected>;

/** Decodes a lock script's raw reply. */
export type LockDecoder = (reply: unknown) => LockReply;

// The common replies, shared: a round reads one per node, and these allocate nothing.
export const GRANTED: Granted = { outcome: Outcome.Granted };
export const NOT_OWNER: NotOwner = { outcome: Outcome.NotOwner };
export const HELD_FOREVER: Held = { outcome: Outcome.Held, ttl: -1 };

/** An acquire script's "held" integer (n > 0: expires in n - 1 ms; -1: no expiry). */
export function held(reply: number): Held {
  return reply > 0 ? { outcome: Outcome.Held, ttl: reply - 1 } : HELD_FOREVER;
}

/** A reply none of the script's: says what came, for errors. */
export function unexpected(reply: unknown): Unexpected {
  let shown: unknown;
  try {
    shown = JSON.stringify(reply);
  } catch {
    shown = undefined;
  }
  const what = typeof shown === "string" ? shown : typeof reply;
  return { outcome: Outcome.Unexpected, message: `unexpected reply ${what}` };
}

/** A count reply (release, fence-raise, fair-leave): above 0 is done, 0 is not ours. */
export function decodeCount(reply: unknown): Granted | NotOwner | Unexpected {
  if (typeof reply !== "number") return unexpected(reply);
  return reply > 0 ? GRANTED : NOT_OWNER;
}
