import { existsSync } from "node:fs";

const LIBRARY_DIRS = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
];

function findLibrary(relative: string): string | undefined {
  return LIBRARY_DIRS.map((dir) => `${dir}/${relative}`).find((path) => existsSync(path));
}

/** Whether libfaketime is installed (the `faketime` apt package). */
export function clockSkewAvailable(): boolean {
  return findLibrary("faketime/libfaketime.so.1") !== undefined;
}

/**
 * A `wrapper` that runs redis-server with its clocks (wall and monotonic) running `rate` times
 * as fast as the machine's, through libfaketime: at rate 1.25 a key set with PX 1000 expires
 * after 800 real ms.
 *
 * Debian's redis-server links jemalloc, which calls clock_gettime() while libfaketime is still
 * initialising (libfaketime issue #130: the server never starts). Preloading glibc's
 * libc_malloc_debug first puts glibc's own malloc in front of jemalloc, which then never
 * initialises, and libfaketime starts cleanly.
 */
export function clockRateWrapper(rate: number): string[] {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`clock rate must be > 0: ${rate}`);
  const faketime = findLibrary("faketime/libfaketime.so.1");
  if (faketime === undefined) {
    throw new Error("libfaketime is not installed (apt-get install faketime)");
  }
  const preload = [findLibrary("libc_malloc_debug.so.0"), faketime].filter(
    (p): p is string => p !== undefined,
  );
  return ["env", `LD_PRELOAD=${preload.join(" ")}`, `FAKETIME=+0 x${rate}`];
}
