// The README's example ("Testing your code: quorum-locks/testing"), as it stands there but for
// the imports (the sources instead of the package's name), and two of its claims checked.
import { expect, test, vi } from "vitest";
import { readFileSync } from "node:fs";
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
  const load = () =>
    manager.protectCacheStampede("prices", () => Promise.resolve(++fetches), { ttl: 60_000 });

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

test("this file holds the README's example as it stands there", () => {
  const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");
  const first = "// orders.test.ts (vitest; any test runner works the same)\n";
  const start = readme.indexOf(first) + first.length;
  const example = readme
    .slice(start, readme.indexOf("```", start))
    .replace('from "quorum-locks";', 'from "../../src/index.js";')
    .replace('from "quorum-locks/testing";', 'from "../../src/testing/index.js";')
    .replace(
      'import { expect, test } from "vitest";',
      'import { expect, test, vi } from "vitest";',
    );
  const own = readFileSync(new URL(import.meta.url), "utf8");
  expect(start).toBeGreaterThan(first.length);
  expect(own).toContain(
    example.replace(
      'from "vitest";\n',
      'from "vitest";\nimport { readFileSync } from "node:fs";\n',
    ),
  );
});
