// One replica of a service that schedules a job with croner every second. Every replica fires
// every second; manager.runOnce() lets one of them run each fire and the others skip it. The
// replicas start their schedules at the same second (a barrier in Redis) and print one JSON line
// per fire: which slot, and whether this replica ran it.
import { setTimeout as sleep } from "node:timers/promises";
import { Cron } from "croner";
import { createClient } from "redis";
import { LockManager } from "quorum-locks";
import { env } from "../processes.js";

const worker = env("WORKER");
const fires = Number(env("FIRES"));
const nodes = env("NODES").split(",");
const manager = new LockManager({ redisNodes: nodes });
const redis = createClient({ url: nodes[0] ?? "" });
await redis.connect();

// The barrier: the last replica up picks the first fire, the next whole second but one.
if ((await redis.incr("scheduled-jobs:ready")) === Number(env("REPLICAS"))) {
  await redis.set("scheduled-jobs:start", String(Math.ceil(Date.now() / 1_000) * 1_000 + 1_000));
}
let start: string | null = null;
while ((start = await redis.get("scheduled-jobs:start")) === null) await sleep(5);
const startAt = Number(start);

const job = new Cron(
  "* * * * * *",
  // Fires at startAt, startAt + 1 s, ..., `fires` of them.
  { startAt: new Date(startAt - 1), stopAt: new Date(startAt + (fires - 1) * 1_000 + 500) },
  async (self: Cron) => {
    const result = await manager.runOnce(
      "send-digest",
      async ({ slot }) => {
        await sleep(100 + Math.random() * 200); // the job's work
        return `digest of ${slot.toISOString().slice(11, 19)} sent`;
      },
      // croner's time for this fire; rounded to the second (the default slot).
      { at: self.currentRun() ?? new Date() },
    );
    console.log(JSON.stringify({ worker, slot: result.slot.toISOString(), ran: result.ran }));
  },
);
await sleep(startAt + fires * 1_000 + 500 - Date.now());
job.stop();
await manager.close();
await redis.quit();
