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

/** A function (a routine, a fetcher). */
export const callable = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", {
  error: "must be a function",
});

/** An AbortSignal. */
export const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  error: "must be an AbortSignal",
});

// A lone UTF-16 surrogate has no UTF-8 form: it reaches Redis as U+FFFD, so two different names
// would silently share one key.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether `name` survives the trip to Redis unchanged (no lone surrogate). */
export function isWellFormedName(name: string): boolean {
  return !LONE_SURROGATE.test(name);
}

/** A resource or lock name: any non-empty, well-formed string (spaces, globs, newlines, …). */
export function resourceName() {
  return z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be an empty string" })
    .refine(isWellFormedName, {
      error: "must be well-formed Unicode (a lone surrogate would be stored as U+FFFD)",
    });
}
