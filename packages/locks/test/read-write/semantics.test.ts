import { describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  LockTimeoutError,
  type Lock,
  type LockWire,
} from "../../src/index.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";
import { startWorker } from "../fixtures/workers.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("read-write lock semantics over 3 nodes", () => {
  const env = useNodes(3);

  /** Reader tokens with a live lease on node `i`. */
  async function readersOn(i: number, name: string): Promise<string[]> {
    return (await env.nodes.inspect(i)).zRange(`{${name}}:rw-readers`, 0, -1);
  }

  test("writer preference: a stream of readers cannot starve a waiting writer", async () => {
    const redlock = env.redlock({ retryDelay: 10, retryJitter: 10 });
    const rw = redlock.readWriteLock("pref");
    let stop = false;
    let readsDuringWrite = 0;
    let writing = false;
    // Four overlapping readers: without writer preference there is never a moment with none.
    const stream = Array.from({ length: 4 }, async (_, i) => {
      await pause(i * 15);
      while (!stop) {
        const lease = await rw.acquireRead(5_000, { timeout: 30_000 });
        if (writing) readsDuringWrite++;
        await pause(60);
        await lease.release();
      }
    });
    await waitFor(async () => (await readersOn(0, "pref")).length >= 2);
    const w = await rw.acquireWrite(5_000, { timeout: 20_000 });
    writing = true;
    expect(await readersOn(0, "pref")).toEqual([]);
    await pause(100);
    writing = false;
    await w.release();
    stop = true;
    await Promise.all(stream);
    expect(readsDuringWrite).toBe(0);
  });

  test("a waiting writer's intent keeps new readers out; giving up withdraws it", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("intent");
    const r = await rw.acquireRead(30_000);
    const controller = new AbortController();
    const writer = rw.acquireWrite(10_000, { signal: controller.signal, timeout: 30_000 });
    await waitFor(async () =>
      (await env.nodes.values("{intent}:rw-intent")).every((v) => v !== null),
    );
    await expect(rw.acquireRead(10_000, { timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    controller.abort();
    await expect(writer).rejects.toThrow();
    await waitFor(async () =>
      (await env.nodes.values("{intent}:rw-intent")).every((v) => v === null),
    );
    const r2 = await rw.acquireRead(10_000, { timeout: 0 });
    await r2.release();
    await r.release();
  });

  test("a crashed writer's intent stops blocking readers after its ttl", async () => {
    const redlock = env.redlock({ retryDelay: 20, retryJitter: 10 });
    const rw = redlock.readWriteLock("crashed-writer", { intentTtl: 500 });
    const startedAt = performance.now();
    // A writer that recorded its intent and died: only the intent is left, with its ttl.
    await env.nodes.hold(
      "{crashed-writer}:rw-intent",
      "0123456789abcdef0123456789abcdef",
      500,
      [0, 1, 2],
    );
    const r = await rw.acquireRead(10_000, { timeout: 10_000 });
    // Not before the intent ran out.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(490);
    await r.release();
  });

  test("a killed reader's lease expires on its own; other readers keep theirs", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("crashed-reader");
    const spawnedAt = performance.now();
    const child = startWorker("rw-contender", [
      env.nodes.urls.join(","),
      "crashed-reader",
      "3000",
      "child",
      "hold-read",
    ]);
    let collected = "";
    child.child.stdout.on("data", (chunk: Buffer) => (collected += chunk.toString()));
    let childToken = "";
    await waitFor(
      () => {
        const line = /held ([0-9a-f]+)/.exec(collected);
        if (line !== null) childToken = line[1] as string;
        return childToken !== "";
      },
      { timeoutMs: 30_000 },
    );
    child.child.kill("SIGKILL");
    await child.done;
    let writeGrantedAt = -1;
    await rw.usingRead(3_000, {}, async (signal, mine) => {
      const writer = rw.acquireWrite(5_000, { timeout: 30_000 }).then((w) => {
        writeGrantedAt = performance.now();
        return w;
      });
      // The killed reader's lease runs out; ours is extended by the watchdog and stays.
      await waitFor(async () => !(await readersOn(0, "crashed-reader")).includes(childToken), {
        timeoutMs: 20_000,
      });
      expect(await readersOn(0, "crashed-reader")).toEqual([mine.value]);
      expect(signal.aborted).toBe(false);
      expect(mine.isHeld()).toBe(true);
      expect(writeGrantedAt).toBe(-1);
      void writer.then((w) => w.release());
    });
    await waitFor(() => writeGrantedAt > 0, { timeoutMs: 20_000 });
    // Not before the killed reader's lease could have ended.
    expect(writeGrantedAt - spawnedAt).toBeGreaterThanOrEqual(3_000);
  });

  test("downgrade turns the writer into a reader at once and wakes waiting readers", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("down", { fencing: true });
    const w = await rw.acquireWrite(10_000);
    expect(typeof w.fencingToken).toBe("bigint");
    const waitingReader = rw.acquireRead(10_000, { timeout: 20_000 });
    const r = await rw.downgrade(w, 10_000);
    expect(w.isHeld()).toBe(false);
    expect(r.isHeld()).toBe(true);
    expect(r.value).toBe(w.value);
    expect(r.fencingToken).toBe(w.fencingToken);
    expect(r.toJSON().kind).toBe("read");
    const other = await waitingReader;
    expect((await readersOn(0, "down")).sort()).toEqual([r.value, other.value].sort());
    expect(await env.nodes.values("{down}:rw-writer")).toEqual([null, null, null]);
    // Still a read lease: writers stay out until it ends.
    await expect(rw.acquireWrite(10_000, { timeout: 200 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    await r.release();
    await other.release();
    const w2 = await rw.acquireWrite(10_000, { timeout: 5_000 });
    expect(w2.fencingToken).toBeGreaterThan(w.fencingToken as bigint);
    await w2.release();
  });

  test("upgrading a held read lease is not granted: the timeout applies", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("upgrade");
    const r = await rw.acquireRead(10_000);
    await expect(rw.acquireWrite(10_000, { timeout: 300 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    expect(r.isHeld()).toBe(true);
    await r.release();
  });

  test("toJSON and adopt: another handle extends and releases the same lease", async () => {
    const redlock = env.redlock({ fencing: true });
    const rw = redlock.readWriteLock("wire");
    const w = await rw.acquireWrite(10_000);
    const wire = JSON.parse(JSON.stringify(w)) as LockWire;
    expect(wire).toEqual({
      v: 1,
      kind: "write",
      resources: ["wire"],
      token: w.value,
      expiration: w.expiration,
      fencingToken: String(w.fencingToken),
      name: "wire",
    });
    const other = env.redlock().readWriteLock("wire");
    const adopted: Lock = other.adopt(wire);
    expect(adopted.isHeld()).toBe(true);
    expect(adopted.fencingToken).toBe(w.fencingToken);
    await adopted.extend(20_000);
    await adopted.release();
    expect(await env.nodes.values("{wire}:rw-writer")).toEqual([null, null, null]);
    expect(() => other.adopt({ ...wire, name: "elsewhere", resources: ["elsewhere"] })).toThrow();
    expect(() => other.adopt({ ...wire, token: "not a token" })).toThrow();
  });

  test("waiting by notification: a blocked reader sends nothing until the writer leaves", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("quiet");
    const w = await rw.acquireWrite(60_000);
    const reader = rw.acquireRead(10_000, { timeout: 50_000 });
    const channel = "quorum-locks:released:{quiet}:rw-writer";
    await waitFor(async () => {
      const subs = await Promise.all(
        [0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).pubSubNumSub(channel)),
      );
      return subs.every((s) => (s[channel] ?? 0) > 0);
    });
    const node = await env.nodes.inspect(0);
    await node.configResetStat();
    // A window of blocked waiting: no attempt is made while the writer holds the lock.
    await pause(1_500);
    const info = await node.info("commandstats");
    expect(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? "0").toBe("0");
    await w.release();
    const r = await reader;
    expect(r.isHeld()).toBe(true);
    await r.release();
  });
});

describe("read-write lock with failed nodes (5)", () => {
  const env = useNodes(5);

  test("2 of 5 nodes dead: readers and writers still work", async () => {
    await env.nodes.server(0).kill();
    await env.nodes.server(3).kill();
    const redlock = env.redlock({ commandTimeout: 500 });
    const rw = redlock.readWriteLock("two-dead");
    const r1 = await rw.acquireRead(10_000, { timeout: 5_000 });
    const r2 = await rw.acquireRead(10_000, { timeout: 5_000 });
    await r1.extend(10_000);
    await r1.release();
    await r2.release();
    const w = await rw.acquireWrite(10_000, { timeout: 5_000 });
    await expect(rw.acquireRead(10_000, { timeout: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await w.release();
  });

  test("3 of 5 nodes dead: a typed error in bounded time", async () => {
    await Promise.all([0, 2, 4].map((i) => env.nodes.server(i).kill()));
    const redlock = env.redlock({ commandTimeout: 300, retryCount: 2, retryDelay: 50 });
    const rw = redlock.readWriteLock("three-dead");
    const read = await rw.acquireRead(10_000, { timeout: 2_000 }).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(LockAcquisitionError);
    const write = await rw.acquireWrite(10_000).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(LockAcquisitionError);
    expect((write as LockAcquisitionError).reason).toBe("unavailable");
  });
});
