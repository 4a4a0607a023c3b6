// The `quorum-locks/testing` entry as users load it, next to the library's own entry: a lock
// taken on its fake, expired by its clock. Shared by testing-smoke.cjs and testing-smoke.mjs;
// prints one JSON report line, which built-package.test.ts reads.
"use strict";

/**
 * @param lib the loaded library
 * @param testing the loaded `quorum-locks/testing`
 */
async function exerciseTesting(lib, testing) {
  const { Redlock, LockAcquisitionError } = lib;
  const fake = testing.createFakeRedis({ nodes: 3, clock: () => 1_800_000_000_000 });
  const first = new Redlock(fake.nodes, { clock: fake.clock });
  const second = new Redlock(fake.nodes, { clock: fake.clock });
  const report = {};
  try {
    const lock = await first.acquire("smoke:testing", 10_000);
    const refused = await second
      .acquire("smoke:testing", 10_000, { retryCount: 0 })
      .catch((error) => error);
    report.refused = refused instanceof LockAcquisitionError;
    fake.advance(10_000);
    report.heldAfterTtl = lock.isHeld();
    const next = await second.acquire("smoke:testing", 10_000, { retryCount: 0 });
    report.takenOver = (await fake.node.command("GET", "smoke:testing")) === next.value;
  } finally {
    await Promise.all([first.quit(), second.quit()]);
  }
  return report;
}

module.exports = { exerciseTesting };
