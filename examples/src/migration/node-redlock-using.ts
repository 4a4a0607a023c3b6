// node-redlock:
//   await redlock.using(["report"], 5000, async (signal) => {
//     ...
//     if (signal.aborted) throw signal.error;
//   });
//   catch (e) { if (e instanceof ExecutionError) e.attempts[0].votesAgainst ... ResourceLockedError }
//   redlock.on("error", (error) => { if (!(error instanceof ResourceLockedError)) log(error) });
import assert from "node:assert/strict";
import { LockAcquisitionError, type LockError, Redlock } from "quorum-locks";

export async function nodeRedlockUsing(nodes: string[]): Promise<void> {
  const redlock = new Redlock(nodes);
  // "error" becomes nodeError (a client's connection errors) and the lifecycle events.
  redlock.on("nodeError", (node, error) => {
    console.error(`${node}: ${error.message}`);
  });
  redlock.on("acquireFailed", ({ resources, outcome, attempts }) => {
    console.log(`  no lock on ${resources.join(", ")}: ${outcome} after ${attempts} attempt(s)`);
  });
  try {
    const result = await redlock.using(["report"], 5_000, async (signal) => {
      // signal.reason (node-redlock: signal.error) is the LockError that says why it was lost.
      if (signal.aborted) throw signal.reason as LockError;
      try {
        await redlock.acquire(["report"], 5_000, { retryCount: 0 });
        assert.fail("the report is locked");
      } catch (error) {
        // ExecutionError → LockAcquisitionError (LockTimeoutError when `timeout` ran out).
        // ResourceLockedError votes → node outcomes with status "held" and the holder's ttl.
        assert.ok(error instanceof LockAcquisitionError);
        assert.equal(error.attempts, 1);
        assert.ok(error.nodes.some((n) => n.status === "held" && n.ttl > 0));
      }
      return "report written";
    });
    assert.equal(result, "report written");
  } finally {
    await redlock.quit();
  }
}
