// node-redlock:
//   const redlock = new Redlock([ioredisA, ioredisB, ioredisC], {
//     driftFactor: 0.01, retryCount: 10, retryDelay: 200, retryJitter: 200,
//     automaticExtensionThreshold: 500,
//   });
//   let lock = await redlock.acquire(["invoice:7"], 5000);
//   lock = await lock.extend(5000);
//   await lock.release(); // or redlock.release(lock)
import assert from "node:assert/strict";
import { Redlock } from "quorum-locks";

export async function nodeRedlockBasics(nodes: string[]): Promise<void> {
  // Same option names, same units (ms), same defaults. Nodes are URLs, node-redis or ioredis
  // clients (yours stay open), or adapters.
  const redlock = new Redlock(nodes, {
    driftFactor: 0.01,
    retryCount: 10,
    retryDelay: 200,
    retryJitter: 200,
    automaticExtensionThreshold: 500,
  });
  try {
    const lock = await redlock.acquire(["invoice:7"], 5_000);
    await lock.extend(5_000); // extends this Lock in place and returns it
    assert.ok(lock.isHeld()); // false once expired, released or lost
    await lock.release();
  } finally {
    await redlock.quit(); // closes the clients it created from URLs
  }
}
