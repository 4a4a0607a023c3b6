import { createHash } from "node:crypto";
import acquireSource from "./acquire.lua";
import acquireFencedSource from "./acquire-fenced.lua";
import cacheFailSource from "./cache-fail.lua";
import cacheReadSource from "./cache-read.lua";
import cacheWriteSource from "./cache-write.lua";
import extendSource from "./extend.lua";
import fairAcquireSource from "./fair-acquire.lua";
import fairLeaveSource from "./fair-leave.lua";
import fenceRaiseSource from "./fence-raise.lua";
import markerCheckSource from "./marker-check.lua";
import markerCloseSource from "./marker-close.lua";
import markerOpenSource from "./marker-open.lua";
import releaseSource from "./release.lua";

/** A Lua script run by SHA (EVALSHA), with its source kept for the NOSCRIPT fallback. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** Lua shared by several scripts, spliced in where a line reads `--- @include <name>`. */
const snippets: Readonly<Record<string, string>> = {
  "marker-open": markerOpenSource,
  "marker-close": markerCloseSource,
};

const INCLUDE = /^--- @include ([a-z-]+)\r?$/gm;

/** `source` with its includes expanded (once, when the module loads). */
export function expandIncludes(source: string): string {
  return source.replace(INCLUDE, (_, name: string) => {
    const snippet = snippets[name];
    if (snippet === undefined) throw new Error(`--- @include ${name}: no such snippet`);
    return snippet.trimEnd();
  });
}

function define(name: string, text: string): LuaScript {
  const source = expandIncludes(text);
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The lock and cache scripts, by name; each file documents its KEYS, ARGV and reply. */
export const scripts = {
  acquire: define("acquire", acquireSource),
  acquireFenced: define("acquire-fenced", acquireFencedSource),
  fenceRaise: define("fence-raise", fenceRaiseSource),
  markerCheck: define("marker-check", markerCheckSource),
  release: define("release", releaseSource),
  extend: define("extend", extendSource),
  fairAcquire: define("fair-acquire", fairAcquireSource),
  fairLeave: define("fair-leave", fairLeaveSource),
  cacheRead: define("cache-read", cacheReadSource),
  cacheWrite: define("cache-write", cacheWriteSource),
  cacheFail: define("cache-fail", cacheFailSource),
} as const;

export type ScriptName = keyof typeof scripts;
