import { z } from "zod";

/** A duration in milliseconds: a finite number, at least `min`. */
export function milliseconds(min = 0) {
  return z.number({ error: "must be a number of milliseconds" }).min(min, {
    error: min === 0 ? "must be 0 or more milliseconds" : `must be at least ${min} ms`,
  });
}

/** A positive duration in milliseconds (greater than zero). */
export function positiveMilliseconds() {
  return z
    .number({ error: "must be a number of milliseconds" })
    .positive({ error: "must be more than 0 milliseconds" });
}

/** A time to live as Redis takes it: a positive whole number of milliseconds. */
export function ttlMilliseconds() {
  return z
    .number({ error: "must be a whole number of milliseconds" })
    .int({ error: "must be a whole number of milliseconds" })
    .positive({ error: "must be more than 0 milliseconds" })
    .max(Number.MAX_SAFE_INTEGER, { error: "is too large" });
}

/** A whole number, at least `min`. */
export function wholeNumber(min: number) {
  return z
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be ${min} or more` });
}

/** An AbortSignal. */
export const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  error: "must be an AbortSignal",
});
