import { type ReplyReader, Vote } from "./round.js";

function unexpected(reply: unknown): string {
  let shown: unknown;
  try {
    shown = JSON.stringify(reply);
  } catch {
    shown = undefined;
  }
  return `unexpected reply ${typeof shown === "string" ? shown : typeof reply}`;
}

/** acquire.lua: {1, 0} granted, {0, pttl} held by another owner. */
export const readAcquire: ReplyReader = (reply, round, i) => {
  if (Array.isArray(reply) && reply.length === 2) {
    if (reply[0] === 1) {
      round.settle(i, Vote.Granted);
      return;
    }
    if (reply[0] === 0) {
      round.settle(i, Vote.Held, Number(reply[1]));
      return;
    }
  }
  round.settle(i, Vote.Error, unexpected(reply));
};

/** extend.lua: 1 extended, 0 not ours. release.lua: keys deleted, 0 not ours. */
export const readCount: ReplyReader = (reply, round, i) => {
  if (typeof reply === "number") round.settle(i, reply > 0 ? Vote.Granted : Vote.NotOwner);
  else round.settle(i, Vote.Error, unexpected(reply));
};
