import { type ReplyReader, type Round, Vote } from "./round.js";

function unexpected(reply: unknown): string {
  let shown: unknown;
  try {
    shown = JSON.stringify(reply);
  } catch {
    shown = undefined;
  }
  return `unexpected reply ${typeof shown === "string" ? shown : typeof reply}`;
}

/**
 * The reply of a script wrapped in marker-open/marker-close: the body's reply as it is, or a
 * table {reply, marker age, largest ttl recorded, marker id} when the node's marker is young (told to the
 * round before the vote).
 */
function unwrapMarker(reply: unknown, round: Round, i: number): unknown {
  if (!Array.isArray(reply) || reply.length !== 4) return reply;
  const [inner, age, recorded, id] = reply as unknown[];
  if (typeof age !== "number" || typeof recorded !== "number") return reply;
  round.marker(i, age, recorded, typeof id === "string" ? id : String(id));
  return inner;
}

/** acquire.lua: 0 granted; n>0 held by another owner for n-1 more ms; -1 held with no expiry. */
export const readAcquire: ReplyReader = (wrapped, round, i) => {
  const reply = unwrapMarker(wrapped, round, i);
  if (reply === 0) round.settle(i, Vote.Granted);
  else if (typeof reply === "number") round.settle(i, Vote.Held, reply > 0 ? reply - 1 : -1);
  else round.settle(i, Vote.Error, unexpected(reply));
};

/** acquire-fenced.lua: as acquire.lua, except that a grant is this node's fencing token (decimal). */
export const readAcquireFenced: ReplyReader = (wrapped, round, i) => {
  const reply = unwrapMarker(wrapped, round, i);
  if (typeof reply === "string" && DECIMAL.test(reply)) round.settle(i, Vote.Granted, reply);
  else if (reply !== 0) readAcquire(reply, round, i);
  else round.settle(i, Vote.Error, unexpected(reply));
};

const DECIMAL = /^[0-9]+$/;

/** extend.lua, wrapped in the marker (its age does not matter: only the ttl it records). */
export const readExtend: ReplyReader = (wrapped, round, i) => {
  readCount(unwrapMarker(wrapped, round, i), round, i);
};

/** extend.lua: 1 extended, 2 extended and healed, 0 not ours. release.lua: keys deleted, 0 not ours. */
export const readCount: ReplyReader = (reply, round, i) => {
  if (typeof reply === "number") round.settle(i, reply > 0 ? Vote.Granted : Vote.NotOwner);
  else round.settle(i, Vote.Error, unexpected(reply));
};
