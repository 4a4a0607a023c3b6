import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useNodes } from "../fixtures/vitest.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "..", "dist");
const cli = join(dist, "cli.js");

/** A JavaScript runtime and how it runs a script file. */
interface Runtime {
  readonly kind: "node" | "bun" | "deno";
  /** What `--version` prints, for the test's name. */
  readonly version: string;
  /** The command line before the script's path. */
  readonly command: readonly [string, ...string[]];
  readonly env: Readonly<Record<string, string>>;
}

function listed(variable: string): string[] {
  return (process.env[variable] ?? "").split(",").filter((p) => p !== "");
}

function runtime(kind: Runtime["kind"], binary: string): Runtime {
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
  switch (kind) {
    case "node":
      return { kind, version, command: [binary], env: {} };
    case "bun":
      return { kind, version, command: [binary, "run"], env: {} };
    case "deno":
      // npm compatibility: the workspace's node_modules are used as they are; -A grants the
      // network (the Redis nodes), the environment and the file system. No update check: it
      // would reach beyond this machine. Deno's own cache stays beside its binary.
      return {
        kind,
        version,
        command: [binary, "run", "-A"],
        env: { DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(dirname(binary), "..", "cache") },
      };
  }
}

/**
 * The runtimes to run the built package under: this Node, and those CI installs
 * (scripts/runtimes.mjs): the Node binaries in QUORUM_LOCKS_SMOKE_NODES, Bun in
 * QUORUM_LOCKS_SMOKE_BUN, Deno in QUORUM_LOCKS_SMOKE_DENO. Unset, only this Node runs.
 */
const runtimes: Runtime[] = [
  runtime("node", process.execPath),
  ...listed("QUORUM_LOCKS_SMOKE_NODES").map((b) => runtime("node", b)),
  ...listed("QUORUM_LOCKS_SMOKE_BUN").map((b) => runtime("bun", b)),
  ...listed("QUORUM_LOCKS_SMOKE_DENO").map((b) => runtime("deno", b)),
];

function run(rt: Runtime, script: string, args: readonly string[]) {
  const [binary, ...before] = rt.command;
  const child = spawn(binary, [...before, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...rt.env },
  });
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
describe.each(runtimes)("the built package under $kind $version", (rt) => {
  const env = useNodes(3);

  it.each(["smoke.cjs", "smoke.mjs"])(
    "%s: retried acquire, using(), getLock, a decorator and the stampede layer work",
    async (script) => {
      expect(existsSync(join(dist, "index.cjs")), "run `pnpm build` first").toBe(true);
      const result = await run(rt, join(here, script), env.nodes.urls);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
      expect(report).toMatchObject({
        runtime: rt.kind,
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

  // Nest itself is run under Node only: the Bun and Deno smoke covers the library's own entries.
  if (rt.kind === "node") {
    it.each(["nestjs-smoke.cjs", "nestjs-smoke.mjs"])(
      "%s: quorum-locks/nestjs boots a Nest application on the main entry's LockManager",
      async (script) => {
        expect(existsSync(join(dist, "nestjs.cjs")), "run `pnpm build` first").toBe(true);
        const result = await run(rt, join(here, script), env.nodes.urls);
        if (script.endsWith(".cjs") && !requiresEsm(rt.command[0])) {
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
  }

  it("dual.cjs: both builds in one process share error brands, codes and the default manager", async () => {
    const result = await run(rt, join(here, "dual.cjs"), env.nodes.urls);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({
      copies: 2,
      config: {
        code: "QUORUM_LOCKS_CONFIG",
        isEsmConfig: true,
        isEsmLockError: true,
        isEsmAcquisition: false,
        isQuorumLocksError: true,
      },
      timeout: {
        code: "QUORUM_LOCKS_TIMEOUT",
        isCjsTimeout: true,
        isCjsAcquisition: true,
        isCjsLockError: true,
        isCjsError: true,
        isCjsConfig: false,
      },
      parentIsCjsTimeout: false,
      plainErrorIsCjsLockError: false,
      sameDefaultManager: true,
      heldThroughOtherCopy: true,
      decorated: "ran",
    });
  });

  // Bun and Deno run TypeScript as it is, decorator syntax included; Node parses none.
  if (rt.kind !== "node") {
    it("smoke-decorators.ts: @distributedLock and @cacheStampedeProtect written as decorators", async () => {
      const result = await run(rt, join(here, "smoke-decorators.ts"), env.nodes.urls);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({
        runtime: rt.kind,
        decorated: [7, 7],
        overlapped: false,
        fetches: 1,
        loaded: true,
      });
    });
  }

  it("the quorum-locks command: status, list and release --force of a held lock", async () => {
    expect(existsSync(cli), "run `pnpm build` first").toBe(true);
    const lock = await env.redlock().acquire(["smoke:cli"], 600_000);
    const nodes = ["--nodes", env.nodes.urls.join(",")];
    const owner = lock.value.slice(0, 8);

    const status = await run(rt, cli, ["status", "smoke:cli", "--json", ...nodes]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ verdict: "held", owner, holders: 3 });

    const list = await run(rt, cli, ["list", "smoke:*", "--json", ...nodes]);
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({
      locks: [{ resource: "smoke:cli", verdict: "held", owner }],
    });

    const release = await run(rt, cli, ["release", "--force", "--yes", "smoke:cli", ...nodes]);
    expect(release.stderr).toBe("");
    expect(release.code).toBe(0);
    const after = await run(rt, cli, ["status", "smoke:cli", "--json", ...nodes]);
    expect(after.code).toBe(3);
    expect(JSON.parse(after.stdout)).toMatchObject({ verdict: "free", owner: null, holders: 0 });
  });
});

// quorum-locks/testing needs no server: its own entry, built as ESM and CommonJS.
describe.each(runtimes)("the built testing entry under $kind $version", (rt) => {
  it.each(["testing-smoke.cjs", "testing-smoke.mjs"])(
    "%s: a lock on the fake, refused while held, taken over once the fake clock passes its ttl",
    async (script) => {
      expect(existsSync(join(dist, "testing.cjs")), "run `pnpm build` first").toBe(true);
      const result = await run(rt, join(here, script), []);
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
