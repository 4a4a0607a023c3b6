import { describe, expect, test } from "vitest";
import { LockAcquisitionError } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

// Pre-hold the key on every subset of nodes: acquisition must succeed exactly when a majority is
// free, and must leave nothing of ours behind either way.
describe.each([3, 5])("quorum matrix over %i nodes", (n) => {
  const env = useNodes(n);
  const quorum = Math.floor(n / 2) + 1;
  const subsets = Array.from({ length: 2 ** n }, (_, mask) => ({
    held: Array.from({ length: n }, (_, i) => i).filter((i) => (mask & (1 << i)) !== 0),
  }));

  test.each(subsets)("pre-held on nodes $held", async ({ held }) => {
    const key = `matrix:${held.join("-")}`;
    const free = n - held.length;
    await env.nodes.hold(key, "someone-else", 60_000, held);
    const redlock = env.redlock({ retryCount: 0 });
    const expectHeldOnly = async () =>
      waitFor(async () =>
        (await env.nodes.values(key)).every((v, i) =>
          held.includes(i) ? v === "someone-else" : v === null,
        ),
      );

    if (free >= quorum) {
      const lock = await redlock.acquire([key], 10_000);
      expect(lock.isHeld()).toBe(true);
      // Decided on the quorum; the remaining free nodes are set within a round trip.
      await waitFor(async () =>
        (await env.nodes.values(key)).every(
          (v, i) => v === (held.includes(i) ? "someone-else" : lock.value),
        ),
      );
      await lock.release();
      await expectHeldOnly();
    } else {
      const error = await redlock.acquire([key], 10_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquisitionError);
      // Decided as soon as a quorum became impossible: enough "held" votes, all from held nodes.
      const outcomes = (error as LockAcquisitionError).nodes;
      const heldVotes = outcomes.flatMap((o, i) => (o.status === "held" ? [i] : []));
      expect(heldVotes.length).toBeGreaterThanOrEqual(n - quorum + 1);
      expect(heldVotes.every((i) => held.includes(i))).toBe(true);
      await expectHeldOnly();
    }
  });
});
