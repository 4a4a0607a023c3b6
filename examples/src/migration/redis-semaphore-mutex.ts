// redis-semaphore:
//   const mutex = new RedlockMutex([redisA, redisB, redisC], "orders", {
//     lockTimeout: 10_000, acquireTimeout: 5_000, retryInterval: 100,
//     refreshInterval: 8_000, onLockLost: (error) => { ... },
//   });
//   await mutex.acquire();
//   try { ... } finally { await mutex.release(); }
//   if (await mutex.tryAcquire()) { ... }
import assert from "node:assert/strict";
import { LockManager, Redlock } from "quorum-locks";

export async function redisSemaphoreMutex(nodes: string[]): Promise<void> {
  // RedlockMutex over N clients → a Redlock over N nodes; Mutex over one client → one node.
  const redlock = new Redlock(nodes);
  try {
    // acquire + refresh while held + onLockLost → using(): extended while the routine runs,
    // its signal aborts when the lock is lost; released at the end.
    await redlock.using(
      "orders",
      10_000, // lockTimeout
      { timeout: 5_000, retryDelay: 100, retryJitter: 0, automaticExtensionThreshold: 2_000 },
      async (signal) => {
        signal.addEventListener("abort", () => {
          console.error("orders lock lost:", signal.reason); // onLockLost
        });
        // tryAcquire → one attempt (retryCount: 0, or timeout: 0).
        const second = await redlock.acquire("orders", 10_000, { retryCount: 0 }).catch(() => null);
        assert.equal(second, null);
      },
    );

    // Or by name with the manager: acquireTimeout → timeout, acquireAttemptsLimit → maxRetries + 1,
    // retryInterval → retryDelay, refresh → autoExtend (handle.signal aborts when lost).
    const manager = new LockManager({ redisNodes: nodes });
    try {
      const handle = await manager.getLock("orders", {
        ttl: 10_000,
        timeout: 5_000,
        retryDelay: 100,
        autoExtend: true,
      });
      assert.ok(handle.hasLock());
      assert.equal(await manager.tryLock("orders"), false);
      await handle.release();
    } finally {
      await manager.close();
    }
  } finally {
    await redlock.quit();
  }
}
