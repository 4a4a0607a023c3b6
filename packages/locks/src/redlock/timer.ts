/**
 * The longest delay a Node.js timer takes (2^31 − 1 ms, about 24.8 days). A longer one is
 * cut to 1 ms with a TimeoutOverflowWarning: a sleep meant to last a holder's very long ttl
 * would turn into a busy loop.
 */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** `ms` as a timer can wait it: at least 0, at most {@link MAX_TIMER_DELAY}. */
export function timerDelay(ms: number): number {
  return ms <= 0 ? 0 : ms < MAX_TIMER_DELAY ? ms : MAX_TIMER_DELAY;
}
