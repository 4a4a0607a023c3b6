// One watchdog worker (the redis_based_lock seed): takes the "target" lock ROUNDS times, each
// time for a random duration longer than the lock's TTL, made of short "atomic" steps. The
// watchdog (autoExtend) renews the lock before it expires; if it cannot, handle.signal aborts
// and the worker stops at once. Prints one JSON line per event for the coordinator.
import { setTimeout as sleep } from "node:timers/promises";
import { LockManager } from "quorum-locks";
import { env } from "../processes.js";

const worker = env("WORKER");
const ttl = Number(env("TTL"));
const manager = new LockManager({
  redisNodes: env("NODES").split(","),
  defaultTimeout: 120_000,
  retryDelay: 25,
  retryJitter: 25,
});
const say = (event: string, extra: object = {}) => {
  console.log(
    JSON.stringify({ worker, event, at: Number(process.hrtime.bigint() / 1000n), ...extra }),
  );
};

say("active");
for (let round = 0; round < Number(env("ROUNDS")); round++) {
  await using handle = await manager.getLock("target", { ttl, autoExtend: true });
  const holdFor = Math.round(ttl * (1.2 + Math.random() * 1.3));
  say("locked", { holdFor });
  const until = Date.now() + holdFor;
  while (Date.now() < until) {
    if (handle.signal.aborted) {
      say("lost", { reason: String(handle.signal.reason) });
      process.exit(1);
    }
    await sleep(Math.min(ttl / 4, until - Date.now())); // one atomic step, shorter than the ttl
  }
  say("released", { extensions: manager.getStatistics().locks.extensions });
}
say("stopped");
await manager.close();
