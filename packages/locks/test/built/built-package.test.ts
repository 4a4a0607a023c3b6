import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useNodes } from "../fixtures/vitest.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "..", "dist");

/**
 * The Node binaries to run the built package under: this one, and those listed in
 * QUORUM_LOCKS_SMOKE_NODES (CI adds the oldest Node the package's `engines` admits).
 */
const runtimes = [
  process.execPath,
  ...(process.env["QUORUM_LOCKS_SMOKE_NODES"] ?? "").split(",").filter((p) => p !== ""),
];

function run(binary: string, script: string, args: readonly string[]) {
  const child = spawn(binary, [join(here, script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether `binary` can require() an ES module (Node 20.19, 22.12 and later). */
function requiresEsm(binary: string): boolean {
  const { stdout } = spawnSync(binary, ["-p", "process.features.require_module === true"], {
    encoding: "utf8",
  });
  return stdout.trim() === "true";
}

// The package as users load it: its built files, by its own name, in a process of their own.
describe.each(runtimes)("the built package under %s", (binary) => {
  const env = useNodes(3);

  it.each(["smoke.cjs", "smoke.mjs"])(
    "%s: retried acquire, using(), getLock, a decorator and the stampede layer work",
    async (script) => {
      expect(existsSync(join(dist, "index.cjs")), "run `pnpm build` first").toBe(true);
      const result = await run(binary, script, env.nodes.urls);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
      expect(report).toMatchObject({
        format: script.endsWith(".cjs") ? "cjs" : "esm",
        using: "ran",
        getLockHeld: true,
        decorated: [7, 7],
        decoratedOverlapped: false,
        fetches: 1,
        cached: true,
      });
      // The waiter was refused while the holder had the lock, then retried.
      expect(report["acquireAttempts"]).toBeGreaterThanOrEqual(2);
    },
  );

  it.each(["nestjs-smoke.cjs", "nestjs-smoke.mjs"])(
    "%s: quorum-locks/nestjs boots a Nest application on the main entry's LockManager",
    async (script) => {
      expect(existsSync(join(dist, "nestjs.cjs")), "run `pnpm build` first").toBe(true);
      const result = await run(binary, script, env.nodes.urls);
      if (script.endsWith(".cjs") && !requiresEsm(binary)) {
        // Nest 12 ships ES modules only: from CommonJS it loads through require(esm), which
        // older Node lacks (the README says so). The failure is Node's own, and says it.
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("ERR_REQUIRE_ESM");
        return;
      }
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({
        format: script.endsWith(".cjs") ? "cjs" : "esm",
        sameClass: true,
        redlock: true,
        result: 42,
        acquisitions: 1,
        closed: true,
      });
    },
  );
});

// quorum-locks/testing needs no server: its own entry, built as ESM and CommonJS.
describe.each(runtimes)("the built testing entry under %s", (binary) => {
  it.each(["testing-smoke.cjs", "testing-smoke.mjs"])(
    "%s: a lock on the fake, refused while held, taken over once the fake clock passes its ttl",
    async (script) => {
      expect(existsSync(join(dist, "testing.cjs")), "run `pnpm build` first").toBe(true);
      const result = await run(binary, script, []);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({
        format: script.endsWith(".cjs") ? "cjs" : "esm",
        refused: true,
        heldAfterTtl: false,
        takenOver: true,
      });
    },
  );
});
