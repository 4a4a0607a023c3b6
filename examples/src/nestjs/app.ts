// One instance of a NestJS service: QuorumLocksModule gives it a LockManager over the nodes,
// injectable like any provider; a @Cron() method sends a digest every second, once across all
// instances (@oncePerFire); an export runs under a @distributedLock, one at a time across
// instances. Both decorators find the module's manager through Nest: none is passed to them.
// Prints one JSON line per fire and per export; `app.close()` closes the manager.
import "reflect-metadata";
import { setTimeout as sleep } from "node:timers/promises";
import { Inject, Injectable, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { Cron, ScheduleModule } from "@nestjs/schedule";
import { distributedLock, LockManager, oncePerFire } from "quorum-locks";
import { QuorumLocksModule } from "quorum-locks/nestjs";
import { env } from "../processes.js";

const instance = env("INSTANCE");
const print = (line: object) => {
  console.log(JSON.stringify({ instance, ...line }));
};

@Injectable()
class DigestService {
  // Built with tsc (`nest build`), the parameter's type is enough; tsx (esbuild) emits no
  // parameter types, so the token is named.
  constructor(@Inject(LockManager) private readonly locks: LockManager) {}

  @Cron("* * * * * *")
  @oncePerFire("send-digest")
  async sendDigest(): Promise<void> {
    print({ event: "digest", second: new Date(Math.round(Date.now() / 1_000) * 1_000) });
    await sleep(150);
  }

  @distributedLock("export:{0}", { timeout: 10_000 })
  async exportUser(userId: number): Promise<void> {
    print({ event: "export-start", userId, at: Number(process.hrtime.bigint() / 1000n) });
    await sleep(100);
    print({ event: "export-end", userId, at: Number(process.hrtime.bigint() / 1000n) });
  }

  async healthy(): Promise<boolean> {
    return (await this.locks.healthCheck()).healthy;
  }
}

@Module({
  imports: [
    ScheduleModule.forRoot(),
    QuorumLocksModule.forRootAsync({
      // A ConfigService would be injected here; the example reads the environment.
      useFactory: () => ({ redisNodes: env("NODES").split(",") }),
    }),
  ],
  providers: [DigestService],
})
class AppModule {}

// Nest's log lines would go to stdout, between the JSON lines. (Nest declares the options as a
// class; its own documentation passes a literal.)
// eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const service = app.get(DigestService);
if (!(await service.healthy())) throw new Error("the lock nodes are not reachable");
for (let i = 0; i < 3; i++) await service.exportUser(42);
await sleep(Number(env("RUN_FOR")));
await app.close();
