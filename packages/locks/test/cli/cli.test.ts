import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { LockManager } from "../../src/index.js";
import { assertBuilt, runCli, runCliInTerminal, startCli } from "../fixtures/cli.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

beforeAll(assertBuilt);

interface StatusJson {
  verdict: string;
  owner: string | null;
  holders: number;
  quorum: number;
  ttl: number | null;
  nodes: {
    node: string;
    ok: boolean;
    owner?: string | null;
    ttl?: number | null;
    fence?: string | null;
    waiters?: number;
    error?: string;
  }[];
}

describe("command line", () => {
  test("--help and --version", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: quorum-locks <command>");
    expect(help.stdout).toContain("Exit codes:");
    const version = await runCli(["--version"]);
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  test.each([
    [[], "a command is required"],
    [["frobnicate", "--nodes", "redis://127.0.0.1:1"], "unknown command: frobnicate"],
    [["status", "--nodes", "redis://127.0.0.1:1"], "status needs a resource name"],
    [["status", "x", "--bogus"], "Unknown option '--bogus'"],
    [["status", "x"], "no nodes: pass --nodes or set REDLOCK_NODES"],
    [["release", "x", "--nodes", "redis://127.0.0.1:1"], "add --force"],
    [["watch", "--interval", "0", "--nodes", "redis://127.0.0.1:1"], "--interval must be"],
    [["list", "--nodes", "http://user:hunter2@example.com"], "nodes.0: must be a redis://"],
  ])("usage error %j: exit 2, message on stderr", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("--help");
    expect(result.stderr).not.toContain("hunter2");
  });

  test("an unreachable node: exit 1, its host:port and never its password", async () => {
    const result = await runCli(["status", "x", "--timeout", "300"], {
      env: { REDLOCK_NODES: "redis://admin:hunter2@127.0.0.1:1" },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("unknown: only 0/1 nodes answered");
    expect(result.stdout).toContain("127.0.0.1:1");
    expect(result.stdout + result.stderr).not.toContain("hunter2");
  });
});

describe("against three nodes", () => {
  const env = useNodes(3);
  const nodes = () => ["--nodes", env.nodes.urls.join(",")];
  const statusOf = async (resource: string) => {
    const result = await runCli(["status", resource, "--json", ...nodes()]);
    return { code: result.code, json: JSON.parse(result.stdout) as StatusJson };
  };

  test("status of a held lock: owner prefix, ttl and fencing counter per node; exit 0", async () => {
    const lock = await env.redlock().acquire("orders:42", 60_000);
    await env.nodes.hold("{orders:42}:fence", "7", 60_000, [0, 1, 2]);
    const text = await runCli(["status", "orders:42", ...nodes()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `orders:42: held by ${lock.value.slice(0, 8)} on 3/3 nodes (quorum 2)`,
    );
    expect(text.stdout).not.toContain(lock.value);

    const { code, json } = await statusOf("orders:42");
    expect(code).toBe(0);
    expect(json).toMatchObject({
      verdict: "held",
      owner: lock.value.slice(0, 8),
      holders: 3,
      quorum: 2,
    });
    expect(json.ttl).toBeGreaterThan(0);
    expect(json.ttl).toBeLessThanOrEqual(60_000);
    for (const node of json.nodes) {
      expect(node).toMatchObject({ ok: true, owner: lock.value.slice(0, 8), fence: "7" });
      expect(node.node).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    await lock.release();
  });

  test("status of a free lock exits 3; a split one exits 3; too few answers exit 1", async () => {
    expect(await statusOf("nothing")).toMatchObject({
      code: 3,
      json: { verdict: "free", owner: null },
    });

    await env.nodes.hold("torn", "a".repeat(32), 60_000, [0]);
    await env.nodes.hold("torn", "b".repeat(32), 60_000, [1]);
    expect(await statusOf("torn")).toMatchObject({ code: 3, json: { verdict: "split" } });

    await env.nodes.hold("half", "c".repeat(32), 60_000, [0]);
    await env.nodes.server(1).kill();
    await env.nodes.server(2).kill();
    const { code, json } = await statusOf("half");
    expect(code).toBe(1);
    expect(json.verdict).toBe("unknown");
    expect(json.nodes.filter((n) => !n.ok)).toHaveLength(2);
  });

  test("a lock held on a quorum stays held with a node down", async () => {
    const lock = await env.redlock().acquire("survivor", 60_000);
    await env.nodes.server(2).kill();
    const { code, json } = await statusOf("survivor");
    expect(code).toBe(0);
    expect(json).toMatchObject({ verdict: "held", owner: lock.value.slice(0, 8), holders: 2 });
    expect(json.nodes[2]).toMatchObject({ ok: false });
    expect(json.nodes[2]?.error).toBeTruthy();
  });

  test("status counts waiters subscribed to the release channel", async () => {
    const held = await env.redlock().acquire("popular", 60_000);
    const waiter = env.redlock({ retryCount: -1 }).acquire("popular", 1_000);
    await waitFor(async () => (await statusOf("popular")).json.nodes.every((n) => n.waiters === 1));
    await held.release();
    await (await waiter).release();
  });

  test("list merges held locks across nodes and skips fencing, fair-queue, info and cache keys", async () => {
    const manager = new LockManager({ redisNodes: env.nodes.urls });
    try {
      const a = await env.redlock().acquire(["orders:1", "orders:2"], 60_000);
      const fair = await env.redlock({ fair: true }).acquire("jobs:fair", 60_000);
      const named = await manager.getLock("report", { ttl: 60_000 });
      await manager.setCached("prices", { eur: 1 });
      await env.nodes.hold("{orders:1}:fence", "3", 60_000, [0, 1, 2]);
      await env.nodes.hold("partial", "d".repeat(32), 60_000, [1]);
      await env.nodes.hold("plain-string", "not a token", 60_000, [0, 1, 2]);
      const keys = (await env.nodes.keys()).flat();
      expect(keys.some((k) => k.startsWith("lock-info:"))).toBe(true);
      expect(keys.some((k) => k.startsWith("cache:"))).toBe(true);

      const result = await runCli(["list", "--json", ...nodes()]);
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as {
        locks: { resource: string; verdict: string; owner: string | null; present: number }[];
      };
      expect(json.locks.map((l) => [l.resource, l.verdict, l.present])).toEqual([
        ["jobs:fair", "held", 3],
        ["lock:report", "held", 3],
        ["orders:1", "held", 3],
        ["orders:2", "held", 3],
        ["partial", "split", 1],
      ]);
      expect(json.locks[2]?.owner).toBe(a.value.slice(0, 8));
      expect(result.stdout).not.toContain(a.value);

      const filtered = await runCli(["list", "orders:*", ...nodes()]);
      expect(filtered.code).toBe(0);
      expect(filtered.stdout).toContain("orders:1");
      expect(filtered.stdout).not.toContain("lock:report");
      await Promise.all([a.release(), fair.release(), named.release()]);
    } finally {
      await manager.close();
    }
  });

  test("release --force without a terminal or --yes refuses (exit 2) and leaves the lock", async () => {
    const lock = await env.redlock().acquire("stuck", 60_000);
    const result = await runCli(["release", "--force", "stuck", ...nodes()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--yes");
    expect(await env.nodes.values("stuck")).toEqual([lock.value, lock.value, lock.value]);
  });

  test("release --force --yes deletes the lock everywhere, wakes its waiters, keeps the fence", async () => {
    await env.redlock().acquire("stuck", 600_000); // its holder died: nobody will release it
    await env.nodes.hold("{stuck}:fence", "9", 600_000, [0, 1, 2]);
    const waiter = env.redlock({ retryCount: -1 }).acquire("stuck", 1_000);
    await waitFor(async () => (await statusOf("stuck")).json.nodes.every((n) => n.waiters === 1));
    const result = await runCli(["release", "--force", "--yes", "stuck", ...nodes()]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/deleted/g)).toHaveLength(3);
    const lock = await waiter; // woken by the release notification, not by the 600 s ttl
    expect(lock.isHeld()).toBe(true);
    expect(await env.nodes.values("{stuck}:fence")).toEqual(["9", "9", "9"]);
    await lock.release();

    const again = await runCli(["release", "--force", "--yes", "stuck", ...nodes()]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("nothing to release");
  });

  test("release --force asks at a terminal: y deletes, anything else keeps", async () => {
    const lock = await env.redlock().acquire("asked", 60_000);
    const declined = await runCliInTerminal(["release", "--force", "asked", ...nodes()], "n\n");
    expect(declined.stdout).toContain("Delete asked on every node that holds it? [y/N]");
    expect(declined.code).toBe(1);
    expect(await env.nodes.values("asked")).toEqual([lock.value, lock.value, lock.value]);

    const accepted = await runCliInTerminal(["release", "--force", "asked", ...nodes()], "y\n");
    expect(accepted.code).toBe(0);
    expect(await env.nodes.values("asked")).toEqual([null, null, null]);
  });

  test("watch --once prints one table; --json --iterations prints one line per refresh", async () => {
    const lock = await env.redlock().acquire("watched", 60_000);
    const once = await runCli(["watch", "--once", ...nodes()]);
    expect(once.code).toBe(0);
    expect(once.stdout).toContain("nodes 3/3 up · 1 locks");
    expect(once.stdout).toMatch(/watched\s+\S{8}\s+3\/3/);

    const frames = await runCli([
      "watch",
      "--json",
      "--iterations",
      "2",
      "--interval",
      "10",
      ...nodes(),
    ]);
    expect(frames.code).toBe(0);
    const lines = frames.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { locks: unknown[] });
    expect(lines).toHaveLength(2);
    expect(lines[0]?.locks).toEqual([
      expect.objectContaining({
        resource: "watched",
        owner: lock.value.slice(0, 8),
        waiters: 0,
        handovers: 0,
      }),
    ]);

    const terminal = await runCliInTerminal(["watch", "--once", ...nodes()], "");
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toContain("\x1b[H\x1b[2J"); // redraws in place
    await lock.release();
  });

  test("watch counts waiters and handovers until Ctrl-C", async () => {
    const first = await env.redlock().acquire("contended", 60_000);
    const waiter = env.redlock({ retryCount: -1 }).acquire("contended", 60_000);
    const child = startCli(["watch", "--json", "--interval", "20", ...nodes()]);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    type Frame = {
      locks: { resource: string; owner: string; waiters: number; handovers: number }[];
    };
    const last = (): Frame["locks"][number] | undefined => {
      const lines = output
        .trim()
        .split("\n")
        .filter((l) => l.endsWith("}"));
      const frame = lines.length === 0 ? undefined : (JSON.parse(lines.at(-1) as string) as Frame);
      return frame?.locks.find((l) => l.resource === "contended");
    };
    await waitFor(() => last()?.waiters === 1);
    await first.release();
    const second = await waiter;
    await waitFor(() => last()?.owner === second.value.slice(0, 8));
    expect(last()?.handovers).toBe(1);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    await second.release();
  });
});
