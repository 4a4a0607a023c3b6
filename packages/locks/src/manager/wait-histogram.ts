/**
 * Wait times with exact counts in fixed buckets: 1 ms wide below one second, then three
 * significant digits (0.1 % wide). Every wait is counted (nothing is sampled); a percentile is
 * the upper edge of the bucket that holds the exact nearest-rank value, so it is off by at most
 * the bucket's width. Memory is bounded by the number of distinct buckets, not of waits.
 */
export class WaitHistogram {
  readonly #buckets = new Map<number, number>();
  #count = 0;
  #sum = 0;
  #max = 0;

  record(ms: number): void {
    const value = Math.max(0, ms);
    const bucket = bucketOf(value);
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1);
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#count;
  }

  /** The nearest-rank `p`th percentile (0 < p ≤ 100), in ms; 0 when nothing was recorded. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    const sorted = [...this.#buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const bucket of sorted) {
      seen += this.#buckets.get(bucket) ?? 0;
      if (seen >= rank) return bucket;
    }
    return sorted[sorted.length - 1] ?? 0;
  }

  summary(): WaitSummary {
    return {
      count: this.#count,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: Math.ceil(this.#max),
      mean: this.#count === 0 ? 0 : this.#sum / this.#count,
    };
  }
}

/** Waits recorded so far and their distribution, in ms. */
export interface WaitSummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function bucketOf(ms: number): number {
  if (ms <= 1_000) return Math.ceil(ms);
  const step = 10 ** (Math.floor(Math.log10(ms)) - 2);
  return Math.ceil(ms / step) * step;
}
