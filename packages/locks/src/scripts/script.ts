import { createHash } from "node:crypto";
import extendKeysSource from "./lib/extend-keys.lua";
import fenceDrawSource from "./lib/fence-draw.lua";
import heldTtlSource from "./lib/held-ttl.lua";
import serverTimeSource from "./lib/server-time.lua";
import markerCloseSource from "./marker-close.lua";
import markerOpenSource from "./marker-open.lua";
import rwPruneSource from "./lib/rw-prune.lua";

/** A Lua script run by SHA (EVALSHA), with its source kept for the NOSCRIPT fallback. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/**
 * Lua shared by several scripts, spliced in where a line reads `--- @include <name>`. Each is
 * written once here and reaches the bundle once: scripts are expanded when this module loads.
 */
const snippets: Readonly<Record<string, string>> = {
  "marker-open": markerOpenSource,
  "marker-close": markerCloseSource,
  "server-time": serverTimeSource,
  "held-ttl": heldTtlSource,
  "fence-draw": fenceDrawSource,
  "rw-prune": rwPruneSource,
  "extend-keys": extendKeysSource,
};

const INCLUDE = /^--- @include ([a-z-]+)\r?$/gm;

/**
 * `source` with its includes expanded, those inside snippets too. A snippet is spliced in at
 * its first include only (later ones are dropped): its local functions are in scope from there.
 */
export function expandIncludes(source: string, included = new Set<string>()): string {
  return source.replace(INCLUDE, (_, name: string) => {
    const snippet = snippets[name];
    if (snippet === undefined) throw new Error(`--- @include ${name}: no such snippet`);
    if (included.has(name)) return "";
    included.add(name);
    return expandIncludes(snippet, included).trimEnd();
  });
}

/** A script from its Lua text: includes expanded, SHA computed (once, when its module loads). */
export function defineScript(name: string, text: string): LuaScript {
  const source = expandIncludes(text);
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * The EVALSHA call of `script`: ["EVALSHA", sha, numkeys, ...keys, ...argv]. A round shares
 * the array between its nodes and never modifies it.
 */
export function evalshaArgs(
  script: LuaScript,
  keys: readonly string[],
  argv: readonly string[],
): string[] {
  const args = new Array<string>(3 + keys.length + argv.length);
  args[0] = "EVALSHA";
  args[1] = script.sha;
  args[2] = String(keys.length);
  let i = 3;
  for (const key of keys) args[i++] = key;
  for (const arg of argv) args[i++] = arg;
  return args;
}

/** The same call as EVAL with the script's source (a server that has not cached it). */
export function evalSource(script: LuaScript, evalshaArgs: readonly string[]): string[] {
  const args = evalshaArgs.slice();
  args[0] = "EVAL";
  args[1] = script.source;
  return args;
}
