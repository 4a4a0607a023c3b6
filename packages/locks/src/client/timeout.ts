/**
 * Runs `fn` after the event loop's next I/O turn. A timer that fires late because the loop
 * was busy (a burst of thousands of commands) fires before the loop reads the sockets again:
 * replies the nodes sent in time may be sitting unread in the socket buffers. Deciding from
 * the check phase (setImmediate), after one poll phase has read and parsed them, keeps a
 * healthy node from being judged timed out merely because its reply was not read yet.
 */
export function afterIoTurn<A>(fn: (arg: A) => void, arg: A): NodeJS.Immediate {
  return setImmediate(fn, arg);
}

/**
 * `promise`'s outcome, or `late()`'s when it has not settled within `ms` (judged after one I/O
 * turn past the timer: see {@link afterIoTurn}): `late` returns the value to settle with, or
 * throws to reject. The timer is cleared either way, so that a bounded wait never keeps the
 * process alive after the answer came.
 */
export function within<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  let turn: NodeJS.Immediate | undefined;
  const timeout = new Promise<L>((resolve, reject) => {
    timer = setTimeout(() => {
      turn = afterIoTurn(() => {
        try {
          resolve(late());
        } catch (error) {
          reject(error);
        }
      }, undefined);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
    clearImmediate(turn);
  });
}

/** Rejects with an Error of `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return within(promise, ms, (): never => {
    throw new Error(message);
  });
}
