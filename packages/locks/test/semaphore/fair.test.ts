import { expect, test } from "vitest";
import { useNodes, waitFor } from "../fixtures/vitest.js";

const env = useNodes(3);

/** Waiters in the fair queue of `name` on node `i`. */
async function queued(i: number, name: string): Promise<number> {
  return (await env.nodes.inspect(i)).zCard(`{${name}}:fair-queue`);
}

test("a fair semaphore serves its waiters in arrival order", async () => {
  const redlock = env.redlock({ retryCount: -1, retryDelay: 5, retryJitter: 5 });
  const sem = redlock.semaphore("ordered", { limit: 1, fair: true });
  const held = await sem.acquire(30_000);
  const order: string[] = [];
  const waiters: Promise<void>[] = [];
  for (const [k, name] of ["first", "second", "third"].entries()) {
    waiters.push(
      sem.acquire(10_000, { timeout: 30_000 }).then(async (permit) => {
        order.push(name);
        await permit.release();
      }),
    );
    // Each stands in the queue before the next arrives.
    await waitFor(async () => (await queued(0, "ordered")) === k + 1);
  }
  await held.release();
  await Promise.all(waiters);
  expect(order).toEqual(["first", "second", "third"]);
});

test("a large fair request is not starved by a stream of small ones", async () => {
  const streams = Array.from({ length: 6 }, () =>
    env.redlock({ retryCount: -1, retryDelay: 5, retryJitter: 5 }),
  );
  let stop = false;
  let small = 0;
  const running = streams.map(async (redlock) => {
    const sem = redlock.semaphore("starve", { limit: 3, fair: true });
    while (!stop) {
      const permit = await sem.acquire(10_000, { timeout: 30_000 });
      small++;
      // Held a little, so that the slots are seldom all free at once.
      await new Promise((r) => setTimeout(r, 20));
      await permit.release();
    }
  });
  // The stream is going: the small ones take turns.
  await waitFor(() => small >= 10, { timeoutMs: 20_000 });
  const large = env.redlock({ retryCount: -1, retryDelay: 5, retryJitter: 5 });
  const before = small;
  const permit = await large
    .semaphore("starve", { limit: 3, fair: true })
    .acquire(10_000, { permits: 3, timeout: 30_000 });
  const overtaken = small - before;
  expect(permit.permits).toBe(3);
  expect(permit.isHeld()).toBe(true);
  stop = true;
  // In arrival order, only the small ones holding or queued when it arrived (6 streams) go
  // first; unfair, dozens overtake it.
  expect(overtaken).toBeLessThanOrEqual(12);
  await permit.release();
  await Promise.all(running);
}, 60_000);
