// Property tests: the validity arithmetic, and every public option fed random values. A call
// either works or throws LockConfigError, and on that path not one command reaches Redis.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  cacheStampedeProtect,
  clockDrift,
  distributedLock,
  LockAcquisitionError,
  LockConfigError,
  LockError,
  LockManager,
  quorumOf,
  Redlock,
  validityLeft,
} from "../src/index.js";
import { ManualClock, TapAdapter } from "./fixtures/tap-adapter.js";
import { useNodes } from "./fixtures/vitest.js";

const RUNS = { numRuns: 40 };

describe("validity arithmetic", () => {
  const ttl = fc.integer({ min: 1, max: 10_000_000 });
  const driftFactor = fc.double({ min: 0, max: 0.4999, noNaN: true });

  test("any two quorums of the same nodes share a node; a quorum never exceeds the nodes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), (n) => {
        const q = quorumOf(n);
        expect(2 * q - n).toBeGreaterThanOrEqual(1);
        expect(q).toBeLessThanOrEqual(n);
        expect(2 * (q - 1)).toBeLessThanOrEqual(n); // one node fewer would not be a majority
      }),
    );
  });

  test("the drift margin is a whole number of ms, at least ttl × driftFactor + 2, less than 1 ms more", () => {
    fc.assert(
      fc.property(ttl, driftFactor, (t, f) => {
        const drift = clockDrift(t, f);
        expect(Number.isInteger(drift)).toBe(true);
        expect(drift).toBeGreaterThanOrEqual(t * f + 2);
        expect(drift - 3).toBeLessThan(t * f);
        expect(clockDrift(t + 1, f)).toBeGreaterThanOrEqual(drift);
      }),
    );
  });

  test("validity starts at ttl − drift and falls exactly as time passes", () => {
    fc.assert(
      fc.property(
        ttl,
        driftFactor,
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e7 }),
        (t, f, start, elapsed) => {
          const full = validityLeft(t, f, start, start);
          expect(full).toBe(t - clockDrift(t, f));
          expect(validityLeft(t, f, start, start + elapsed)).toBe(full - elapsed);
        },
      ),
    );
  });

  describe("through an injected clock and a real node", () => {
    const env = useNodes(1);
    let tap: TapAdapter;
    beforeAll(async () => {
      tap = new TapAdapter(env.nodes.urls[0] ?? "");
      await tap.firstConnection;
    });
    afterAll(async () => {
      await tap.close();
    });

    test("a lock is returned only with validity left, and its remaining is exactly ttl − elapsed − drift", async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 3, max: 100_000 }),
          driftFactor,
          fc.double({ min: 0, max: 1.2, noNaN: true }),
          async (t, f, share) => {
            const clock = new ManualClock();
            const redlock = new Redlock([tap], {
              clock,
              driftFactor: f,
              retryCount: 0,
            });
            const elapsed = Math.floor(t * share);
            const resource = `validity-${n++}`;
            let advanced = false;
            // Only on this attempt's reply: a reply to an earlier iteration's rollback, which
            // is not awaited, may arrive during this one.
            tap.onReply = (args) => {
              if (advanced || !args.includes(resource)) return;
              advanced = true;
              clock.advance(elapsed);
            };
            const startWall = clock.wall();
            const validity = t - elapsed - clockDrift(t, f);
            try {
              const result = await redlock.acquire(resource, t).catch((e: unknown) => e);
              tap.onReply = undefined;
              if (validity > 0) {
                expect(result).not.toBeInstanceOf(Error);
                const lock = result as Awaited<ReturnType<Redlock["acquire"]>>;
                expect(lock.remaining).toBe(validity);
                expect(lock.expiration).toBe(startWall + t - clockDrift(t, f));
                clock.advance(validity);
                expect(lock.isHeld()).toBe(false);
                await lock.release().catch(() => undefined);
              } else {
                expect(result).toBeInstanceOf(LockAcquisitionError);
              }
            } finally {
              tap.onReply = undefined;
              await redlock.quit();
            }
          },
        ),
        RUNS,
      );
    });
  });
});

// Values an option might be given by mistake, none of them valid for a duration or a count.
const junk = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, -0.5, 0.5, 1.5, 2 ** 53 + 2, "100", "", true),
  fc.double({ noInteger: true, noNaN: true }),
  fc.integer({ max: -1 }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(null, {}, [], () => 1, Symbol("x")),
);
// A plausible duration or count, or junk, or nothing.
const anyValue = fc.oneof(fc.integer({ min: 0, max: 1_000 }), junk, fc.constant(undefined));
// A ttl long enough to be valid after the drift margin, or junk.
const anyTtl = fc.oneof(fc.integer({ min: 200, max: 100_000 }), junk);
const anyBoolean = fc.oneof(fc.boolean(), junk);
const anySignal = fc.oneof(
  fc.constant(undefined).map(() => new AbortController().signal),
  junk,
  fc.constant(undefined),
);

type Shape = Record<string, fc.Arbitrary<unknown>>;

/** Some of the fields, random values, and now and then a misspelt one. */
function someOptions(shape: Shape): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.record(shape, { requiredKeys: [] }),
      fc.option(fc.constantFrom("ttlMs", "retries", "timeOut"), { freq: 5 }),
    )
    .map(([options, misspelt]) => (misspelt === null ? options : { ...options, [misspelt]: 1 }));
}

const redlockShape: Shape = {
  driftFactor: fc.oneof(fc.double({ min: 0, max: 0.6, noNaN: true }), junk),
  retryCount: anyValue,
  retryDelay: anyValue,
  retryJitter: anyValue,
  automaticExtensionThreshold: anyValue,
  commandTimeout: fc.oneof(fc.integer({ min: 100, max: 2_000 }), junk),
  connectTimeout: anyValue,
  clientOptions: fc.oneof(fc.constant({}), junk),
  fair: anyBoolean,
  clock: junk,
};
const acquireShape: Shape = {
  signal: anySignal,
  timeout: anyValue,
  retryCount: anyValue,
  retryDelay: anyValue,
  retryJitter: anyValue,
  fair: anyBoolean,
};
const lockShape: Shape = {
  ttl: anyTtl,
  timeout: anyValue,
  retryDelay: anyValue,
  maxRetries: anyValue,
  signal: anySignal,
  autoExtend: anyBoolean,
  maxExtensions: anyValue,
  maxHoldTime: anyValue,
};
const cacheShape: Shape = {
  ttl: anyTtl,
  staleTtl: anyTtl,
  timeout: anyValue,
  returnStale: anyBoolean,
  staleIfErrorTtl: anyTtl,
  beta: fc.oneof(fc.double({ min: 0, max: 150, noNaN: true }), junk),
  lockTtl: anyTtl,
  degradeTo: fc.oneof(fc.constantFrom("fetch", "stale"), junk),
  signal: anySignal,
};
const managerShape: Shape = {
  defaultTtl: anyTtl,
  defaultTimeout: anyValue,
  retryDelay: anyValue,
  retryJitter: anyValue,
  maxRetries: anyValue,
  clockDriftFactor: redlockShape["driftFactor"] as fc.Arbitrary<unknown>,
  commandTimeout: redlockShape["commandTimeout"] as fc.Arbitrary<unknown>,
  connectTimeout: anyValue,
  lockPrefix: fc.oneof(fc.string({ maxLength: 8 }), junk),
  stampedePrefix: fc.oneof(fc.string({ maxLength: 8 }), junk),
  infoPrefix: fc.oneof(fc.string({ maxLength: 8 }), junk),
  cachePrefix: fc.oneof(fc.string({ maxLength: 8 }), junk),
  recordLockInfo: anyBoolean,
  cache: fc.oneof(fc.constant("memory"), junk),
  cacheMaxEntries: anyValue,
  staleIfErrorTtl: anyTtl,
  degradeTo: cacheShape["degradeTo"] as fc.Arbitrary<unknown>,
  fallbackInterval: anyValue,
  serializer: junk,
};

describe("every public option, fed random values", () => {
  const env = useNodes(1);
  let tap: TapAdapter;
  let redlock: Redlock;
  let manager: LockManager;
  const seen = { worked: 0, rejected: 0 };
  beforeAll(async () => {
    tap = new TapAdapter(env.nodes.urls[0] ?? "");
    await tap.firstConnection;
    redlock = new Redlock([tap], { retryDelay: 10, retryJitter: 10 });
    manager = new LockManager({
      redisNodes: [tap],
      cache: "memory",
      defaultTimeout: 2_000,
    });
  });
  afterAll(async () => {
    await manager.close();
    await redlock.quit();
    await tap.close();
    // Both outcomes were exercised.
    expect(seen.worked).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  /**
   * Runs `call`: it works (then `cleanup` gets its result), fails as a lock may (a LockError
   * other than LockConfigError, e.g. a tiny commandTimeout), or throws LockConfigError having
   * sent nothing.
   */
  async function judge<T>(
    call: () => T | Promise<T>,
    cleanup: (result: T) => unknown = () => undefined,
  ): Promise<void> {
    const before = tap.sent.length;
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (error instanceof LockConfigError) {
        seen.rejected++;
        expect(error.issues.length).toBeGreaterThan(0);
        expect(tap.sent.length).toBe(before);
        return;
      }
      expect(error).toBeInstanceOf(LockError);
      expect(error).not.toBeInstanceOf(LockConfigError);
      return;
    }
    seen.worked++;
    await cleanup(result);
  }

  test("new Redlock(nodes, options), then an acquisition", async () => {
    await fc.assert(
      fc.asyncProperty(someOptions(redlockShape), async (options) => {
        await judge(
          () => new Redlock([tap], options),
          async (r) => {
            await judge(
              () => r.acquire("prop-ctor", 1_000, { retryCount: 0 }),
              (lock) => lock.release(),
            );
            await r.quit();
          },
        );
      }),
      RUNS,
    );
  });

  const anyResources = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    junk,
  );

  test("redlock.acquire(resources, ttl, options)", async () => {
    await fc.assert(
      fc.asyncProperty(anyResources, anyTtl, someOptions(acquireShape), async (res, ttl, o) => {
        await judge(
          () => redlock.acquire(res as string, ttl as number, o),
          (lock) => lock.release(),
        );
      }),
      RUNS,
    );
  });

  test("redlock.using(resources, ttl, options, routine)", async () => {
    const shape = {
      ...acquireShape,
      automaticExtensionThreshold: anyValue,
      maxExtensions: anyValue,
      maxHoldTime: anyValue,
    };
    await fc.assert(
      fc.asyncProperty(anyResources, anyTtl, someOptions(shape), async (res, ttl, o) => {
        await judge(() =>
          redlock.using(res as string, ttl as number, o, (signal) =>
            Promise.resolve(signal.aborted),
          ),
        );
      }),
      RUNS,
    );
  });

  test("lock.extend(duration)", async () => {
    await fc.assert(
      fc.asyncProperty(anyTtl, async (duration) => {
        const lock = await redlock.acquire("prop-extend", 5_000);
        await judge(() => lock.extend(duration as number));
        expect(lock.isHeld()).toBe(true);
        await lock.release();
      }),
      RUNS,
    );
  });

  test("new LockManager(options), then tryLock", async () => {
    await fc.assert(
      fc.asyncProperty(someOptions(managerShape), async (options) => {
        await judge(
          () => new LockManager({ ...options, redisNodes: [tap] }),
          async (m) => {
            await judge(async () => {
              if (await m.tryLock("prop-manager", { ttl: 2_000, timeout: 0 })) {
                await m.unlock("prop-manager");
              }
            });
            await m.close();
          },
        );
      }),
      RUNS,
    );
  });

  const getLockShape = {
    ...lockShape,
    reentrant: anyBoolean,
    returnStale: anyBoolean,
    staleTtl: anyTtl,
  };

  test("manager.getLock, tryLock, withLock", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 6 }), junk),
        someOptions(getLockShape),
        someOptions(lockShape),
        async (name, getOptions, lockOptions) => {
          await judge(
            () => manager.getLock(name as string, getOptions),
            (handle) => handle.release(),
          );
          await judge(
            () => manager.tryLock(name as string, lockOptions),
            (had) => (had ? manager.unlock(name as string) : undefined),
          );
          await judge(() =>
            manager.withLock(name as string, () => Promise.resolve(1), lockOptions),
          );
        },
      ),
      RUNS,
    );
  });

  test("manager.protectCacheStampede, refreshWithLock, setCached", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 6 }), junk),
        someOptions(cacheShape),
        someOptions({ ttl: anyTtl, staleTtl: anyTtl }),
        async (key, options, writeOptions) => {
          const fetch = () => Promise.resolve(42);
          await judge(() => manager.protectCacheStampede(key as string, fetch, options));
          await judge(() => manager.refreshWithLock(key as string, fetch, options));
          await judge(() => manager.setCached(key as string, 1, writeOptions));
        },
      ),
      RUNS,
    );
  });

  test("the decorators: options are checked when the class is defined", async () => {
    await fc.assert(
      fc.asyncProperty(someOptions(lockShape), someOptions(cacheShape), async (lockO, cacheO) => {
        await judge(
          () => {
            const locked = distributedLock<[number]>("prop-dec:{0}", { ...lockO, manager });
            const cached = cacheStampedeProtect<[number]>("prop-cache:{0}", {
              ...cacheO,
              manager,
            });
            class Decorated {
              @locked
              run(id: number): Promise<number> {
                return Promise.resolve(id);
              }
              @cached
              read(id: number): Promise<number> {
                return Promise.resolve(id);
              }
            }
            return new Decorated();
          },
          async (decorated) => {
            await judge(() => decorated.run(1));
            await judge(() => decorated.read(1));
          },
        );
      }),
      RUNS,
    );
  });
});
