import { acquire } from "./acquire.js";
import { acquireFenced } from "./acquire-fenced.js";
import { cacheFail } from "./cache-fail.js";
import { cacheRead } from "./cache-read.js";
import { cacheWrite } from "./cache-write.js";
import { extend } from "./extend.js";
import { extendMany } from "./extend-many.js";
import { fairAcquire } from "./fair-acquire.js";
import { fairLeave } from "./fair-leave.js";
import { fenceRaise } from "./fence-raise.js";
import { markerCheck } from "./marker-check.js";
import { release } from "./release.js";
import { rwAcquireRead } from "./rw-acquire-read.js";
import { rwAcquireWrite } from "./rw-acquire-write.js";
import { rwDowngrade } from "./rw-downgrade.js";
import { rwExtend } from "./rw-extend.js";
import { rwRelease } from "./rw-release.js";
import { semaphoreAcquire } from "./semaphore-acquire.js";
import { semaphorePeek } from "./semaphore-peek.js";

export { evalSource, type LuaScript } from "./script.js";

/**
 * The lock and cache scripts, by name. Each is a command module beside its Lua file: the
 * script (source, SHA), `encode` (its KEYS and ARGV, as the EVALSHA call) and `decode` (its
 * reply, typed); each Lua file's header documents the same KEYS, ARGV and replies.
 */
export const scripts = {
  acquire,
  acquireFenced,
  fenceRaise,
  markerCheck,
  release,
  extend,
  semaphoreAcquire,
  semaphorePeek,
  extendMany,
  fairAcquire,
  fairLeave,
  cacheRead,
  cacheWrite,
  cacheFail,
  rwAcquireRead,
  rwAcquireWrite,
  rwExtend,
  rwRelease,
  rwDowngrade,
} as const;

export type ScriptName = keyof typeof scripts;
