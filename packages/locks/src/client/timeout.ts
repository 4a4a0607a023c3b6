/**
 * `promise`'s outcome, or `late()`'s when it has not settled within `ms`: `late` returns the
 * value to settle with, or throws to reject. The timer is cleared either way, so that a bounded
 * wait never keeps the process alive after the answer came.
 */
export function within<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<L>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** Rejects with an Error of `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return within(promise, ms, (): never => {
    throw new Error(message);
  });
}
