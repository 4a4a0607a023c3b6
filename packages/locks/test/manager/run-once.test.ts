import { Cron } from "croner";
import nodeCron from "node-cron";
import { describe, expect, test } from "vitest";
import {
  bindLockManager,
  LockAcquisitionError,
  LockConfigError,
  oncePerFire,
} from "../../src/index.js";
import { deferred } from "../fixtures/deferred.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

const env = useManagers(3);
const FIRE = Date.UTC(2026, 0, 1, 12, 0, 5);

describe("runOnce", () => {
  test("one fire called on 5 managers at once runs on one of them; the others skip", async () => {
    const managers = Array.from({ length: 5 }, () => env.manager());
    let runs = 0;
    const results = await Promise.all(
      managers.map((m, i) =>
        m.runOnce(
          "report",
          async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 20));
            return `by ${i}`;
          },
          { at: FIRE },
        ),
      ),
    );
    expect(runs).toBe(1);
    const ran = results.filter((r) => r.ran);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ markedDone: true, name: "report@2026-01-01T12:00:05.000Z" });
    expect(ran[0]?.ran === true && ran[0].value).toMatch(/^by \d$/);
    for (const r of results) expect(r.slot).toEqual(new Date(FIRE));
  });

  test("a process firing after the winner finished skips: the slot stays marked done", async () => {
    const [a, b] = [env.manager(), env.manager()];
    expect(await a.runOnce("report", () => 1, { at: FIRE })).toMatchObject({ ran: true });
    // Its lock is kept as the done-marker on every node, for keepDone (60 s by default).
    const key = "lock:report@2026-01-01T12:00:05.000Z";
    for (let i = 0; i < 3; i++) {
      const ttl = await (await env.nodes.inspect(i)).pTTL(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    let late = 0;
    expect(await b.runOnce("report", () => late++, { at: FIRE + 300 })).toEqual({
      ran: false,
      slot: new Date(FIRE),
      name: "report@2026-01-01T12:00:05.000Z",
    });
    // The same manager again (a scheduler that fired twice) skips too.
    expect((await a.runOnce("report", () => late++, { at: FIRE })).ran).toBe(false);
    expect(late).toBe(0);
  });

  test("a fire's lock is counted in the statistics of the manager that ran it; a skip is not", async () => {
    const [a, b] = [env.manager(), env.manager()];
    await a.runOnce("counted", () => 1, { at: FIRE });
    await b.runOnce("counted", () => 1, { at: FIRE });
    expect(a.getStatistics().locks).toMatchObject({ acquisitions: 1, failures: 0 });
    expect(b.getStatistics().locks).toMatchObject({ acquisitions: 0, failures: 0 });
  });

  test("fire times are rounded to the nearest multiple of the slot", async () => {
    const m = env.manager();
    const slots = async (ats: number[], slot?: number) => {
      const out: string[] = [];
      for (const at of ats) {
        const r = await m.runOnce("tick", () => undefined, { at, ...(slot ? { slot } : {}) });
        out.push(`${r.ran ? "ran" : "skip"} ${r.slot.toISOString().slice(17)}`);
      }
      return out;
    };
    // Default slot 1 000 ms: 4.6 s and 5.4 s are the fire of 5 s; 5.6 s is the next one.
    expect(await slots([FIRE - 400, FIRE + 400, FIRE + 600, FIRE + 1_499])).toEqual([
      "ran 05.000Z",
      "skip 05.000Z",
      "ran 06.000Z",
      "skip 06.000Z",
    ]);
    // Slots of 250 ms, as a job firing 4 times a second would use.
    expect(await slots([FIRE + 10_000, FIRE + 10_120, FIRE + 10_130, FIRE + 10_250], 250)).toEqual([
      "ran 15.000Z",
      "skip 15.000Z",
      "ran 15.250Z",
      "skip 15.250Z",
    ]);
    // A Date works as well as epoch ms.
    expect((await m.runOnce("tick", () => 0, { at: new Date(FIRE + 20_000) })).ran).toBe(true);
  });

  test("without `at`, the fire is now, rounded to the slot", async () => {
    const m = env.manager();
    const before = Date.now();
    const r = await m.runOnce("now", () => "x", { slot: 60_000 });
    const after = Date.now();
    expect(r.ran).toBe(true);
    expect(r.slot.getTime() % 60_000).toBe(0);
    expect([Math.round(before / 60_000), Math.round(after / 60_000)]).toContain(
      r.slot.getTime() / 60_000,
    );
  });

  test("a run longer than the ttl keeps its lock: no other process runs the fire meanwhile", async () => {
    const [a, b] = [env.manager(), env.manager()];
    const finish = deferred<undefined>();
    let signal: AbortSignal | undefined;
    const running = a.runOnce(
      "long",
      async (ctx) => {
        signal = ctx.signal;
        await finish.promise;
        return "done";
      },
      { at: FIRE, ttl: 300 },
    );
    await waitFor(() => signal !== undefined);
    // Well past three ttls: the watchdog extended it several times.
    const started = performance.now();
    let tries = 0;
    while (performance.now() - started < 1_200) {
      expect((await b.runOnce("long", () => "again", { at: FIRE, ttl: 300 })).ran).toBe(false);
      tries++;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tries).toBeGreaterThan(3);
    expect(signal?.aborted).toBe(false);
    finish.resolve(undefined);
    expect(await running).toMatchObject({ ran: true, value: "done", markedDone: true });
    expect((await b.runOnce("long", () => "again", { at: FIRE, ttl: 300 })).ran).toBe(false);
  });

  test("a lock lost during the run aborts the routine's signal, and the result says the slot is not marked done", async () => {
    const m = env.manager();
    const lost: string[] = [];
    m.on("lost", (name) => {
      lost.push(name);
    });
    const key = "lock:lossy@2026-01-01T12:00:05.000Z";
    const result = await m.runOnce(
      "lossy",
      async ({ signal, name }) => {
        // Another owner's key on every node: the next extension fails.
        await env.nodes.hold(key, "someone-else", 10_000, [0, 1, 2]);
        await new Promise((resolve) => {
          signal.addEventListener("abort", resolve);
        });
        return name;
      },
      { at: FIRE, ttl: 300 },
    );
    expect(result).toMatchObject({ ran: true, value: "lossy@2026-01-01T12:00:05.000Z" });
    expect(result.ran && result.markedDone).toBe(false);
    expect(lost).toEqual(["lossy@2026-01-01T12:00:05.000Z"]);
    // The other owner's keys were left alone.
    expect(await env.nodes.values(key)).toEqual(["someone-else", "someone-else", "someone-else"]);
  });

  test("the routine's error is thrown where it ran, and the fire is not run again elsewhere", async () => {
    const [a, b] = [env.manager(), env.manager()];
    await expect(
      a.runOnce(
        "failing",
        () => {
          throw new Error("report failed");
        },
        { at: FIRE },
      ),
    ).rejects.toThrow("report failed");
    expect((await b.runOnce("failing", () => 1, { at: FIRE })).ran).toBe(false);
  });

  test("keepDone sets how long the slot stays done", async () => {
    const [a, b] = [env.manager(), env.manager()];
    await a.runOnce("short", () => 1, { at: FIRE, keepDone: 200 });
    expect((await b.runOnce("short", () => 2, { at: FIRE })).ran).toBe(false);
    await waitFor(async () => !(await b.isLocked("short@2026-01-01T12:00:05.000Z")));
    // Past keepDone, a process firing that late would run it again: keepDone must cover the lag.
    expect(await b.runOnce("short", () => 2, { at: FIRE })).toMatchObject({ ran: true, value: 2 });
  });

  test("bad arguments throw LockConfigError and leave nothing on the nodes", async () => {
    const m = env.manager();
    const routine = () => 1;
    const bad: [unknown, unknown, unknown, string][] = [
      ["", routine, {}, "job"],
      ["job", "not a function", {}, "routine"],
      ["job", routine, { slot: 0 }, "options.slot"],
      ["job", routine, { slot: 1.5 }, "options.slot"],
      ["job", routine, { at: Number.NaN }, "options.at"],
      ["job", routine, { at: new Date(Number.NaN) }, "options.at"],
      ["job", routine, { at: 9e15 }, "options.at"],
      ["job", routine, { ttl: -1 }, "options.ttl"],
      ["job", routine, { keepDone: 0 }, "options.keepDone"],
      ["job", routine, { tll: 5 }, "options.tll"],
    ];
    for (const [job, fn, options, field] of bad) {
      const error: unknown = await m
        // @ts-expect-error -- wrong types on purpose
        .runOnce(job, fn, options)
        .catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(LockConfigError);
      expect((error as LockConfigError).issues.map((i) => i.field)).toContain(field);
    }
    expect((await env.nodes.keys("lock:*")).flat()).toEqual([]);
  });

  test("a closed manager refuses", async () => {
    const m = env.manager();
    await m.close();
    await expect(m.runOnce("job", () => 1)).rejects.toBeInstanceOf(LockConfigError);
  });

  test("with a majority of the nodes down it throws: the fire did not run, nor was it skipped", async () => {
    const m = env.manager({ commandTimeout: 200 });
    await env.nodes.server(0).pause();
    await env.nodes.server(1).pause();
    let runs = 0;
    const error: unknown = await m
      .runOnce("job", () => runs++, { at: FIRE })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).reason).toBe("unavailable");
    expect(runs).toBe(0);
    expect(m.getStatistics().locks).toMatchObject({ acquisitions: 0, failures: 1 });
  });
});

describe("with schedulers", () => {
  test("croner and node-cron firing the same job every second: each fire runs once", async () => {
    const [a, b] = [env.manager(), env.manager()];
    const ran: string[] = [];
    const attempts = { croner: 0, nodeCron: 0 };
    const work = async (ctx: { slot: Date }) => {
      ran.push(ctx.slot.toISOString());
      await new Promise((r) => setTimeout(r, 30));
    };
    const croner = new Cron("* * * * * *", async (self: Cron) => {
      attempts.croner++;
      await a.runOnce("cron-job", work, { at: self.currentRun() ?? Date.now() });
    });
    const task = nodeCron.schedule("* * * * * *", async (ctx) => {
      attempts.nodeCron++;
      await b.runOnce("cron-job", work, { at: ctx.date });
    });
    try {
      await waitFor(() => ran.length >= 4 && attempts.croner >= 4 && attempts.nodeCron >= 4, {
        timeoutMs: 15_000,
      });
    } finally {
      croner.stop();
      await task.destroy();
    }
    const seconds = ran.map((iso) => Date.parse(iso)).sort((x, y) => x - y);
    expect(new Set(seconds).size).toBe(seconds.length);
    const first = seconds[0] ?? 0;
    expect(seconds).toEqual(seconds.map((_, i) => first + i * 1_000));
  });
});

describe("@oncePerFire", () => {
  test("a decorated method runs on one of several instances per fire; skipped calls resolve undefined", async () => {
    const calls: number[] = [];
    class Reports {
      constructor(readonly id: number) {}
      @oncePerFire("nightly", { slot: 60_000 })
      async build(): Promise<string> {
        calls.push(this.id);
        await new Promise((r) => setTimeout(r, 10));
        return `built by ${this.id}`;
      }
    }
    const instances = [1, 2, 3].map((id) => {
      const r = new Reports(id);
      bindLockManager(r, env.manager());
      return r;
    });
    // Typed as the method's own result: a skipped call's undefined is the decorator's doing.
    const results: (string | undefined)[] = await Promise.all(instances.map((r) => r.build()));
    expect(calls).toHaveLength(1);
    expect(results.filter((r) => r !== undefined)).toEqual([`built by ${calls[0] ?? 0}`]);
  });

  test("bad options fail when the class is defined", () => {
    expect(() => oncePerFire("", {})).toThrow(LockConfigError);
    expect(() => oncePerFire("job", { slot: -5 })).toThrow(LockConfigError);
    // @ts-expect-error -- `at` is the call's time
    expect(() => oncePerFire("job", { at: 5 })).toThrow(LockConfigError);
  });
});

describe("bindLockManager", () => {
  test("decorated methods of a bound object use its manager; `manager` given still wins", async () => {
    const [bound, given] = [env.manager(), env.manager({ lockPrefix: "given:" })];
    class Work {
      @oncePerFire("bound-job", { slot: 60_000 })
      a(): Promise<number> {
        return Promise.resolve(1);
      }
      @oncePerFire("given-job", { slot: 60_000, manager: given })
      b(): Promise<number> {
        return Promise.resolve(2);
      }
    }
    const w = new Work();
    bindLockManager(w, bound);
    await w.a();
    await w.b();
    const keys = (await env.nodes.keys()).flat();
    expect(keys.some((k) => k.startsWith("lock:bound-job@"))).toBe(true);
    expect(keys.some((k) => k.startsWith("given:given-job@"))).toBe(true);
    expect(() => {
      bindLockManager(w, {} as never);
    }).toThrow(LockConfigError);
    expect(() => {
      bindLockManager(null as never, bound);
    }).toThrow(LockConfigError);
  });
});
