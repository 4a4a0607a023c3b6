// The code paths that once broke only in a built package (issue 15: the CommonJS build's retry
// path threw a TypeError): each one is made to retry at least once. Shared by smoke.cjs, which
// loads the library with require(), and smoke.mjs, which loads it with import(). Prints one
// JSON report line; the test reads it.
"use strict";

const { setTimeout: sleep } = require("node:timers/promises");

/**
 * @param lib the loaded library
 * @param urls the nodes' URLs
 */
async function exercise(lib, urls) {
  const { Redlock, LockManager, distributedLock } = lib;
  // Which runtime this is: the test checks that the one it meant to start ran the script.
  const report = {
    runtime: process.versions.bun ? "bun" : process.versions.deno ? "deno" : "node",
  };
  const redlock = new Redlock(urls);
  const manager = new LockManager({ redisNodes: urls, defaultTimeout: 5_000 });
  try {
    // Redlock: a contended acquire has to try again once the holder lets go.
    const holder = await redlock.acquire(["smoke:acquire"], 30_000);
    const waiter = redlock.acquire(["smoke:acquire"], 30_000, { timeout: 5_000 });
    await sleep(50);
    await holder.release();
    const lock = await waiter;
    report.acquireAttempts = lock.attempts;
    await lock.release();

    // using(): the routine runs under the lock, here too after waiting for a holder.
    const blocker = await redlock.acquire(["smoke:using"], 30_000);
    setTimeout(() => void blocker.release(), 50);
    report.using = await redlock.using(["smoke:using"], 1_000, { timeout: 5_000 }, (signal) =>
      Promise.resolve(signal.aborted ? "aborted" : "ran"),
    );

    // LockManager.getLock on a name another handle holds.
    const first = await manager.getLock("smoke:get");
    const second = manager.getLock("smoke:get", { timeout: 5_000 });
    await sleep(50);
    await first.release();
    const handle = await second;
    report.getLockHeld = handle.hasLock();
    await handle.release();

    // A decorator, applied the way a standard decorator is: two calls for one key at once.
    let inside = 0;
    let overlapped = false;
    const decorated = distributedLock("smoke:job:{0}", { manager, timeout: 5_000 })(
      async function run(id) {
        inside++;
        if (inside > 1) overlapped = true;
        await sleep(30);
        inside--;
        return id;
      },
      { kind: "method", name: "run" },
    );
    report.decorated = await Promise.all([decorated.call(null, 7), decorated.call(null, 7)]);
    report.decoratedOverlapped = overlapped;

    // protectCacheStampede: concurrent callers of a cold key share one fetch.
    let fetches = 0;
    const values = await Promise.all(
      Array.from({ length: 20 }, () =>
        manager.protectCacheStampede(`smoke:cache:${process.pid}`, async () => {
          fetches++;
          await sleep(30);
          return { v: 42 };
        }),
      ),
    );
    report.fetches = fetches;
    report.cached = values.every((v) => v.v === 42);
  } finally {
    await manager.close();
    await redlock.quit();
  }
  return report;
}

module.exports = { exercise };
