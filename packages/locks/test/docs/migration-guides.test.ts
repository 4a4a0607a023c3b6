import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { useNodes } from "../fixtures/vitest.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

/** Runs `node args` from `cwd` with the nodes in REDLOCK_NODES; resolves with the exit code and output. */
function node(args: readonly string[], cwd: string, nodes = "") {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, REDLOCK_NODES: nodes },
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once("close", (code) => {
      resolve({ code, output });
    });
  });
}

describe("migration guides", () => {
  const env = useNodes(3);

  test("the code the guides show is the snippet files' code", async () => {
    const result = await node(["scripts/sync-snippets.mjs", "--check"], root);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  test("every snippet runs against real nodes", async () => {
    const result = await node(
      ["--import", "tsx", "src/migration/main.ts"],
      join(root, "examples"),
      env.nodes.urls.join(","),
    );
    expect(result.output).toContain("✓ nodeRedlockBasics");
    expect(result.output).toContain("✓ nodeRedlockUsing");
    expect(result.output).toContain("✓ redisSemaphoreMutex");
    expect(result.code).toBe(0);
  });
});
