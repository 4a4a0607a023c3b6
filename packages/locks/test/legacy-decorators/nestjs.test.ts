// quorum-locks/nestjs in real Nest applications (experimentalDecorators, as Nest compiles),
// over real Redis nodes. esbuild emits no parameter types, so constructors name their tokens.
import "reflect-metadata";
import { Inject, Injectable, Module } from "@nestjs/common";
import { Cron, ScheduleModule } from "@nestjs/schedule";
import { Test, type TestingModule } from "@nestjs/testing";
import { afterEach, describe, expect, test } from "vitest";
import {
  distributedLock,
  LockConfigError,
  LockManager,
  oncePerFire,
  Redlock,
} from "../../src/index.js";
import { QuorumLocksModule } from "../../src/nestjs/index.js";
import { type Hold, overlaps } from "../fixtures/intervals.js";
import { useNodes } from "../fixtures/vitest.js";
import { waitFor } from "../fixtures/wait.js";

const env = useNodes(3);
const apps: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the providers below record, per application. */
class Journal {
  readonly holds: Hold[] = [];
  readonly fires: string[] = [];
  constructor(readonly app: string) {}
}
const JOURNAL = Symbol("journal");

@Injectable()
class Exports {
  constructor(@Inject(JOURNAL) private readonly journal: Journal) {}

  /** Given no manager: the module's, through DI. */
  @distributedLock("export:{0}", { timeout: 10_000 })
  async run(_user: number): Promise<string> {
    const start = process.hrtime.bigint();
    await sleep(5);
    this.journal.holds.push({ owner: this.journal.app, start, end: process.hrtime.bigint() });
    return `exported by ${this.journal.app}`;
  }

  @oncePerFire("digest", { slot: 60_000 })
  async digest(): Promise<string> {
    this.journal.fires.push("digest");
    await sleep(20);
    return this.journal.app;
  }
}

@Injectable()
class Ticker {
  constructor(@Inject(JOURNAL) private readonly journal: Journal) {}

  // What @nestjs/schedule calls every second in each application: one of them runs it.
  @Cron("* * * * * *")
  @oncePerFire("tick")
  async tick(): Promise<void> {
    this.journal.fires.push(new Date(Math.round(Date.now() / 1_000) * 1_000).toISOString());
    await sleep(50);
  }
}

/** A Nest application over the test's nodes, closed after the test. */
async function boot(
  app: string,
  metadata: { imports?: unknown[]; providers?: unknown[] } = {},
  locks = QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls, lockPrefix: `${app}-lock:` }),
) {
  const journal = new Journal(app);
  const ref = await Test.createTestingModule({
    imports: [locks, ...((metadata.imports ?? []) as never[])],
    providers: [
      { provide: JOURNAL, useValue: journal },
      Exports,
      ...((metadata.providers ?? []) as never[]),
    ],
  }).compile();
  apps.push(ref);
  await ref.init();
  return { ref, journal, exports: ref.get(Exports), manager: ref.get(LockManager) };
}

describe("QuorumLocksModule", () => {
  test("forRoot: LockManager and Redlock are injectable, decorators use the module's manager", async () => {
    const { ref, exports, manager } = await boot("a");
    expect(manager).toBeInstanceOf(LockManager);
    expect(manager.options.lockPrefix).toBe("a-lock:");
    expect(ref.get(Redlock)).toBe(manager.redlock);
    expect(await exports.run(7)).toBe("exported by a");
    expect(manager.getStatistics().locks.acquisitions).toBe(1);
    expect(await exports.digest()).toBe("a");
    expect((await env.nodes.keys()).flat()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^a-lock:digest@/)]),
    );
  });

  test("a provider's onModuleInit can already call its decorated methods", async () => {
    const seen: string[] = [];
    @Injectable()
    class Warmup {
      @distributedLock("warmup")
      warm(): Promise<void> {
        seen.push("warmed");
        return Promise.resolve();
      }
      async onModuleInit(): Promise<void> {
        await this.warm();
      }
    }
    const { manager } = await boot("w", { providers: [Warmup] });
    expect(seen).toEqual(["warmed"]);
    expect(manager.getStatistics().locks.acquisitions).toBe(1);
  });

  test("closing the application closes the manager", async () => {
    const { ref, manager } = await boot("a");
    apps.splice(apps.indexOf(ref), 1);
    await ref.close();
    await expect(manager.getLock("after-close")).rejects.toThrow(/closed/);
  });

  test("forRootAsync: the options come from a factory with injected dependencies", async () => {
    const NODES = Symbol("nodes");
    @Module({ providers: [{ provide: NODES, useValue: env.nodes.urls }], exports: [NODES] })
    class ConfigModule {}
    const { manager, exports } = await boot(
      "b",
      {},
      QuorumLocksModule.forRootAsync({
        imports: [ConfigModule],
        inject: [NODES],
        useFactory: async (urls: string[]) => {
          await sleep(1);
          return { redisNodes: urls, defaultTtl: 12_345 };
        },
      }),
    );
    expect(manager.options.defaultTtl).toBe(12_345);
    expect(await exports.run(1)).toBe("exported by b");
    expect(manager.getStatistics().locks.acquisitions).toBe(1);
  });

  test("isGlobal: a module that does not import it injects the manager; without it Nest refuses", async () => {
    @Injectable()
    class Needy {
      constructor(@Inject(LockManager) readonly locks: LockManager) {}
    }
    @Module({ providers: [Needy], exports: [Needy] })
    class FeatureModule {}
    const global = await boot(
      "g",
      { imports: [FeatureModule] },
      QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls, isGlobal: true }),
    );
    expect(global.ref.get(Needy, { strict: false }).locks).toBe(global.manager);

    @Module({ providers: [Needy], exports: [Needy] })
    class OtherFeatureModule {}
    await expect(
      Test.createTestingModule({
        imports: [QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls }), OtherFeatureModule],
      }).compile(),
    ).rejects.toThrow(/LockManager/);
  });

  test("bad options fail the application's start with LockConfigError", async () => {
    await expect(
      Test.createTestingModule({
        imports: [QuorumLocksModule.forRoot({ redisNodes: [] })],
      }).compile(),
    ).rejects.toBeInstanceOf(LockConfigError);
  });
});

describe("two instances of the application", () => {
  test("compete for one lock: their holds never overlap", async () => {
    // The same lock prefix: the two applications lock the same names.
    const locks = () => QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls });
    const [a, b] = await Promise.all([boot("a", {}, locks()), boot("b", {}, locks())]);
    expect(a.manager).not.toBe(b.manager);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).exports.run(42)),
    );
    expect(new Set(results)).toEqual(new Set(["exported by a", "exported by b"]));
    const holds = [...a.journal.holds, ...b.journal.holds];
    expect(holds).toHaveLength(20);
    expect(overlaps(holds)).toEqual([]);
  });

  test("a @oncePerFire method called in both runs in one of them", async () => {
    const locks = () => QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls });
    const [a, b] = await Promise.all([boot("a", {}, locks()), boot("b", {}, locks())]);
    // Typed as the method's own result: a skipped call's undefined is the decorator's doing.
    const results: (string | undefined)[] = await Promise.all([
      a.exports.digest(),
      b.exports.digest(),
    ]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect([...a.journal.fires, ...b.journal.fires]).toEqual(["digest"]);
  });

  test("@Cron + @oncePerFire: each second's fire runs in one application", async () => {
    const locks = () => QuorumLocksModule.forRoot({ redisNodes: env.nodes.urls });
    const schedule = { imports: [ScheduleModule.forRoot()], providers: [Ticker] };
    const [a, b] = await Promise.all([boot("a", schedule, locks()), boot("b", schedule, locks())]);
    const fires = () => [...a.journal.fires, ...b.journal.fires];
    await waitFor(() => fires().length >= 4, { timeoutMs: 15_000 });
    await Promise.all(apps.splice(0).map((app) => app.close()));
    const seconds = fires()
      .map((iso) => Date.parse(iso))
      .sort((x, y) => x - y);
    // Once each, and none skipped between the first and the last.
    expect(new Set(seconds).size).toBe(seconds.length);
    const first = seconds[0] ?? 0;
    expect(seconds).toEqual(seconds.map((_, i) => first + i * 1_000));
  });
});
