/**
 * Redlock's safety margin for clock drift between nodes: a share of the ttl plus 2 ms for the
 * granularity of Redis' expiry, rounded up so that the margin never shrinks.
 */
export function clockDrift(ttl: number, driftFactor: number): number {
  return Math.ceil(ttl * driftFactor) + 2;
}

/**
 * Validity left for a lock whose attempt started at `startedAt` (monotonic ms) and is judged at
 * `now`: validity = ttl − elapsed − drift. A lock counts only while this is positive.
 */
export function validityLeft(
  ttl: number,
  driftFactor: number,
  startedAt: number,
  now: number,
): number {
  return ttl - (now - startedAt) - clockDrift(ttl, driftFactor);
}

/** The majority of `n` nodes: floor(n/2)+1. */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}
