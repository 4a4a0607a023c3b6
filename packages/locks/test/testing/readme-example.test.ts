// The README's example ("Testing your code: quorum-locks/testing"), as it stands there but for
// the imports (the sources instead of the package's name), and two of its claims checked.
import { expect, test, vi } from "vitest";
import { LockAcquisitionError, LockManager, Redlock } from "../../src/index.js";
import { createFakeRedis } from "../../src/testing/index.js";

test("a lock expires once the clock passes its ttl", async () => {
  // A fixed clock: time moves only when the test advances it.
  const fake = createFakeRedis({ nodes: 3, clock: () => 1_800_000_000_000 });
  // `clock: fake.clock` makes the locks' own validity (isHeld()) follow the fake time too.
  const worker = new Redlock(fake.nodes, { clock: fake.clock });
  const rival = new Redlock(fake.nodes, { clock: fake.clock });

  const lock = await worker.acquire("report", 10_000);
  await expect(rival.acquire("report", 10_000, { retryCount: 0 })).rejects.toBeInstanceOf(
    LockAcquisitionError,
  );
  fake.advance(10_000);
  expect(lock.isHeld()).toBe(false);
  const taken = await rival.acquire("report", 10_000, { retryCount: 0 });
  expect(await fake.node.command("GET", "report")).toBe(taken.value);
  await expect(lock.extend(10_000)).rejects.toThrow(); // the first owner lost it

  await Promise.all([worker.quit(), rival.quit()]);
});

test("the code under test gets a LockManager over the fake", async () => {
  const fake = createFakeRedis();
  const manager = new LockManager({ redisNodes: fake.nodes });
  let fetches = 0;
  const load = () => manager.protectCacheStampede("prices", async () => ++fetches, { ttl: 60_000 });

  expect(await Promise.all([load(), load(), load()])).toEqual([1, 1, 1]); // one fetch for all
  fake.advance(60_000); // stale now: the next call fetches again
  expect(await load()).toBe(2);
  await manager.close();
});

test("vitest's faked timers (Date included) move the fake servers' time, and hold no reply back", async () => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  try {
    const fake = createFakeRedis();
    const redlock = new Redlock(fake.nodes);
    const lock = await redlock.acquire("timed", 5_000);
    expect(await fake.node.command("PTTL", "timed")).toBe(5_000);
    vi.setSystemTime(1_800_000_004_000);
    expect(await fake.node.command("PTTL", "timed")).toBe(1_000);
    vi.setSystemTime(1_800_000_005_000);
    expect(await fake.node.command("GET", "timed")).toBeNull();
    await lock.release().catch(() => undefined);
    await redlock.quit();
  } finally {
    vi.useRealTimers();
  }
});

test("no replicas behind the fake: a lock asking for minReplicas is refused", async () => {
  const fake = createFakeRedis();
  const redlock = new Redlock(fake.nodes, { minReplicas: 1, retryCount: 0 });
  await expect(redlock.acquire("replicated", 5_000)).rejects.toBeInstanceOf(LockAcquisitionError);
  expect(await fake.node.command("GET", "replicated")).toBeNull();
  await redlock.quit();
});
