/**
 * Time sources. Validity is measured on the monotonic clock (immune to wall-clock jumps); the
 * wall clock only turns it into an epoch `expiration` for callers.
 */
export interface Clock {
  /** Monotonic milliseconds, like `performance.now()`. */
  monotonic(): number;
  /** Epoch milliseconds, like `Date.now()`. */
  wall(): number;
}

export const systemClock: Clock = {
  monotonic: () => performance.now(),
  wall: () => Date.now(),
};
