import { beforeAll, describe, expect, test } from "vitest";
import { globRegExp, primitiveOf } from "../../src/cli/primitives.js";
import { assertBuilt, runCli } from "../fixtures/cli.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

beforeAll(assertBuilt);

interface Holder {
  lockId: string;
  nodes: number;
  ttl: number | null;
}
interface SemaphoreJson {
  name: string;
  limit: number | null;
  used: number;
  holders: { lockId: string; slots: number[]; ttl: number | null }[];
}
interface RwJson {
  name: string;
  writer: Holder | null;
  readers: Holder[];
  intent: Holder | null;
}
interface StatusJson {
  semaphore: (SemaphoreJson & { nodes: unknown[] }) | null;
  readWrite: RwJson | null;
}
interface ListJson {
  locks: { resource: string }[];
  semaphores: SemaphoreJson[];
  readWriteLocks: RwJson[];
}

describe("names of semaphore and read-write keys", () => {
  test("a derived key gives back its name; other keys give nothing", () => {
    expect(primitiveOf("{pool:db}:slot:3")).toEqual({ kind: "semaphore", name: "pool:db" });
    expect(primitiveOf("pool{db}:slot:1")).toEqual({ kind: "semaphore", name: "pool{db}" });
    expect(primitiveOf("{doc:42}:rw-writer")).toEqual({ kind: "rw", name: "doc:42" });
    expect(primitiveOf("{doc:42}:rw-readers")).toEqual({ kind: "rw", name: "doc:42" });
    expect(primitiveOf("orders:1")).toBeUndefined();
    expect(primitiveOf("plain:slot:1")).toBeUndefined(); // no hash tag: not a derived key
    expect(primitiveOf("{orders:1}:fence")).toBeUndefined();
  });

  test("Redis globs match names as SCAN MATCH does", () => {
    expect(globRegExp("pool:*").test("pool:db")).toBe(true);
    expect(globRegExp("pool:*").test("doc:1")).toBe(false);
    expect(globRegExp("doc:?").test("doc:1")).toBe(true);
    expect(globRegExp("doc:[12]").test("doc:2")).toBe(true);
    expect(globRegExp("doc:[^12]").test("doc:2")).toBe(false);
    expect(globRegExp("a.b\\*").test("a.b*")).toBe(true);
    expect(globRegExp("a.b").test("axb")).toBe(false);
  });
});

describe("semaphores and read-write locks against three nodes", () => {
  const env = useNodes(3);
  const nodes = () => ["--nodes", env.nodes.urls.join(",")];
  const json = async (args: string[]) => {
    const result = await runCli([...args, "--json", ...nodes()]);
    return { code: result.code, json: JSON.parse(result.stdout) as StatusJson & ListJson };
  };

  test("status of a semaphore: permits used/limit, each permit's slots and ttl, lockIds only", async () => {
    const sem = env.redlock().semaphore("pool:db", { limit: 3 });
    const two = await sem.acquire(60_000, { permits: 2 });
    const one = await sem.acquire(30_000);

    const text = await runCli(["status", "pool:db", ...nodes()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("pool:db: semaphore, 3/3 permits held on a quorum");
    expect(text.stdout).toContain(two.value.slice(0, 8));
    expect(text.stdout).toContain(one.value.slice(0, 8));
    expect(text.stdout).not.toContain(two.value);
    expect(text.stdout).not.toContain(one.value);
    expect(text.stdout).not.toContain("free: no owner"); // the plain lock's table is left out

    const { code, json: answer } = await json(["status", "pool:db"]);
    expect(code).toBe(0);
    const status = { semaphore: answer.semaphore as NonNullable<StatusJson["semaphore"]> };
    expect(status.semaphore).toMatchObject({ name: "pool:db", limit: 3, used: 3 });
    expect(status.semaphore.nodes).toHaveLength(3);
    const byId = new Map(status.semaphore.holders.map((h) => [h.lockId, h]));
    expect(byId.get(two.value.slice(0, 8))?.slots).toHaveLength(2);
    expect(byId.get(one.value.slice(0, 8))?.slots).toHaveLength(1);
    const slots = status.semaphore.holders.flatMap((h) => h.slots).sort();
    expect(slots).toEqual([1, 2, 3]);
    expect(byId.get(one.value.slice(0, 8))?.ttl).toBeLessThanOrEqual(30_000);
    expect(byId.get(two.value.slice(0, 8))?.ttl).toBeGreaterThan(30_000);

    await two.release();
    await one.release();
    expect((await runCli(["status", "pool:db", ...nodes()])).code).toBe(3);
  });

  test("status of a read-write lock: readers with ttls, then the writer, and a waiting writer", async () => {
    const rw = env.redlock().readWriteLock("doc:42");
    const r1 = await rw.acquireRead(60_000);
    const r2 = await rw.acquireRead(30_000);
    const writer = env.redlock({ retryCount: -1 }).readWriteLock("doc:42").acquireWrite(60_000);

    type Status = { code: number | null; json: { readWrite: RwJson | null } };
    let seen: Status | undefined;
    await waitFor(async () => {
      seen = await json(["status", "doc:42"]);
      return seen.json.readWrite?.intent !== null && seen.json.readWrite?.intent !== undefined;
    });
    const status = (seen as Status).json.readWrite as RwJson;
    expect((seen as Status).code).toBe(0);
    expect(status.writer).toBeNull();
    expect(status.readers.map((r) => r.lockId).sort()).toEqual(
      [r1.value.slice(0, 8), r2.value.slice(0, 8)].sort(),
    );
    for (const reader of status.readers) {
      expect(reader.nodes).toBe(3);
      expect(reader.ttl).toBeGreaterThan(0);
      expect(reader.ttl).toBeLessThanOrEqual(60_000);
    }
    const text = await runCli(["status", "doc:42", ...nodes()]);
    expect(text.stdout).toContain("doc:42: read-write lock, no writer, readers 2:");
    expect(text.stdout).toMatch(/waiting writer [0-9a-f]{8} on \d\/3/);
    expect(text.stdout).not.toContain(r1.value);

    await r1.release();
    await r2.release();
    const w = await writer;
    await waitFor(async () => {
      const after = await json(["status", "doc:42"]);
      return after.json.readWrite?.writer?.lockId === w.value.slice(0, 8);
    });
    const held = await json(["status", "doc:42"]);
    expect(held.code).toBe(0);
    expect(held.json.readWrite).toMatchObject({ readers: [], intent: null });
    expect(held.json.readWrite?.writer).toMatchObject({ lockId: w.value.slice(0, 8), nodes: 3 });
    const text2 = await runCli(["status", "doc:42", ...nodes()]);
    expect(text2.stdout).toContain(`writer ${w.value.slice(0, 8)}`);
    expect(text2.stdout).not.toContain(w.value);
    await w.release();
  });

  test("list and watch show semaphores and read-write locks apart from locks, filtered by name", async () => {
    const lock = await env.redlock().acquire("jobs:1", 60_000);
    const permit = await env.redlock().semaphore("jobs:pool", { limit: 2 }).acquire(60_000);
    const reader = await env.redlock().readWriteLock("jobs:doc").acquireRead(60_000);
    const writer = await env.redlock().readWriteLock("other:doc").acquireWrite(60_000);

    const all = await json(["list"]);
    expect(all.code).toBe(0);
    expect(all.json.locks.map((l) => l.resource)).toEqual(["jobs:1"]); // no slot or writer keys
    expect(all.json.semaphores).toEqual([
      expect.objectContaining({ name: "jobs:pool", limit: 2, used: 1 }),
    ]);
    expect(all.json.semaphores[0]?.holders[0]?.lockId).toBe(permit.value.slice(0, 8));
    expect(all.json.readWriteLocks.map((r) => r.name)).toEqual(["jobs:doc", "other:doc"]);
    expect(all.json.readWriteLocks[0]?.readers[0]?.lockId).toBe(reader.value.slice(0, 8));
    expect(all.json.readWriteLocks[1]?.writer?.lockId).toBe(writer.value.slice(0, 8));

    const filtered = await json(["list", "jobs:*"]);
    expect(filtered.json.readWriteLocks.map((r) => r.name)).toEqual(["jobs:doc"]);
    expect(filtered.json.semaphores.map((s) => s.name)).toEqual(["jobs:pool"]);

    const text = await runCli(["list", ...nodes()]);
    expect(text.stdout).toMatch(/jobs:pool\s+1\/2\s+[0-9a-f]{8}\[\d\]/);
    expect(text.stdout).toMatch(/other:doc\s+[0-9a-f]{8} \(/);
    for (const token of [lock.value, permit.value, reader.value, writer.value]) {
      expect(text.stdout).not.toContain(token);
    }

    const once = await runCli(["watch", "--once", ...nodes()]);
    expect(once.code).toBe(0);
    expect(once.stdout).toContain("SEMAPHORE");
    expect(once.stdout).toContain("READ-WRITE LOCK");
    const frame = await runCli(["watch", "--json", "--once", ...nodes()]);
    const parsed = JSON.parse(frame.stdout) as ListJson;
    expect(parsed.semaphores.map((s) => s.name)).toEqual(["jobs:pool"]);
    expect(parsed.readWriteLocks.map((r) => r.name)).toEqual(["jobs:doc", "other:doc"]);

    await Promise.all([lock.release(), permit.release(), reader.release(), writer.release()]);
    const empty = await runCli(["list", ...nodes()]);
    expect(empty.stdout.trim()).toBe("no locks held");
  });
});
