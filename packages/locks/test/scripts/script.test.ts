import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { ReplyCode } from "../../src/scripts/reply.js";
import { defineScript, evalSource, evalshaArgs, expandIncludes } from "../../src/scripts/script.js";

// No server: the scripts' text, their includes and the EVALSHA/EVAL calls built from them.
const dir = join(import.meta.dirname, "../../src/scripts");
const luaFiles = (sub = ""): string[] =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith(".lua"))
    .map((f) => join(sub, f));
const header = (file: string): string => {
  const text = readFileSync(join(dir, file), "utf8");
  return text.slice(0, text.indexOf("]]"));
};

describe("scripts: includes and calls", () => {
  test("every include is expanded, a snippet once per script, and the SHA is of the expanded source", () => {
    for (const script of Object.values(scripts)) {
      expect(script.source).not.toMatch(/^--- @include/m);
      for (const name of ["serverMs", "held", "drawFence"]) {
        expect(script.source.split(`local function ${name}(`).length).toBeLessThanOrEqual(2);
      }
      expect(script.sha).toBe(createHash("sha1").update(script.source).digest("hex"));
    }
    // Included by marker-open and again by the body: spliced in once, before the body.
    const fair = scripts.fairAcquire.source;
    expect(fair.split("local function serverMs(").length).toBe(2);
    expect(fair.indexOf("local function serverMs(")).toBeLessThan(
      fair.indexOf("local function body()"),
    );
  });

  test("an include inside a snippet is expanded where the snippet lands", () => {
    const source = expandIncludes("--- @include fence-draw\nreturn 1\n");
    expect(source.indexOf("local function serverMicros(")).toBeGreaterThanOrEqual(0);
    expect(source.indexOf("local function serverMicros(")).toBeLessThan(
      source.indexOf("local function drawFence("),
    );
  });

  test("an unknown snippet is an error when the script is defined", () => {
    expect(() => defineScript("broken", "--- @include no-such-snippet\nreturn 0\n")).toThrow(
      /no-such-snippet: no such snippet/,
    );
  });

  test("shared Lua is written once: the clock conversions and the held ttl live in lib/ only", () => {
    for (const file of luaFiles()) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text, file).not.toMatch(/\* 1e3|\* 1e6|%\.0f/);
      expect(text, file).not.toMatch(/if pttl < 0 then return -1 end/);
    }
    const lib = luaFiles("lib").map((f) => readFileSync(join(dir, f), "utf8"));
    expect(lib.filter((t) => t.includes("* 1e3"))).toHaveLength(1);
    expect(lib.filter((t) => t.includes("if pttl < 0 then return -1 end"))).toHaveLength(1);
  });

  test("every script's header names its KEYS, ARGV and output, with the reply codes the enum gives", () => {
    const names = Object.keys(ReplyCode) as (keyof typeof ReplyCode)[];
    const named = new Set<string>();
    for (const file of luaFiles()) {
      if (file === "marker-close.lua") continue; // the second half of marker-open
      const text = header(file);
      expect(text, file).toMatch(/Input:/);
      expect(text, file).toMatch(/Output/);
      for (const line of text.split("\n")) {
        for (const name of names) {
          const at = line.search(new RegExp(`\\b${name}\\b`));
          if (at === -1) continue;
          named.add(name);
          const value = [...line.slice(0, at).matchAll(/-?\d+/g)].pop()?.[0];
          expect(Number(value), `${file}: ${name}`).toBe(ReplyCode[name]);
        }
      }
    }
    expect([...named].sort()).toEqual([...names].sort());
  });

  test("EVALSHA lays out sha, key count, keys, then argv; EVAL the same with the source", () => {
    const script = defineScript("probe", "return 1\n");
    const call = evalshaArgs(script, ["k1", "k2"], ["a"]);
    expect(call).toEqual(["EVALSHA", script.sha, "2", "k1", "k2", "a"]);
    expect(evalSource(script, call)).toEqual(["EVAL", "return 1\n", "2", "k1", "k2", "a"]);
    expect(call[0]).toBe("EVALSHA");
  });
});
