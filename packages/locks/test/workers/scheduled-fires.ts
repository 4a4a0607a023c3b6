// One process of a fleet that schedules the same job: fires it `count` times, `period` ms apart
// from `first` (epoch ms), each fire through runOnce(), with this process's clock `offset` ms
// off. Prints "ready" once connected, then reads the schedule as one JSON line on stdin, and
// prints one JSON line per fire (times on the real, unskewed clock, which the whole machine
// shares) and a last line `{"done":true}`.
//
// Two ways a skewed clock shows, by `mode`:
// - "own-clock": the process fires when its own clock reaches a fire time (as croner and
//   node-cron do) and names the fire by that time: the fleet fires up to the skew apart.
// - "stamp": the fires come at the real moment (driven from outside) and the process stamps
//   them with its own clock, as `at: Date.now()` would: the fleet's names differ by the skew.
import { createInterface } from "node:readline";
import { LockManager } from "../../src/index.js";

const [urls = "", job = "job", mode = "own-clock", offsetArg = "0", owner = String(process.pid)] =
  process.argv.slice(2);
const offset = Number(offsetArg);
const skewed = () => Date.now() + offset;

const manager = new LockManager({ redisNodes: urls.split(",") });
if (!(await manager.healthCheck()).healthy) throw new Error("nodes not reachable");
process.stdout.write("ready\n");

const line = await new Promise<string>((resolve) => {
  createInterface({ input: process.stdin }).once("line", resolve);
});
const { first, period, count, slot } = JSON.parse(line) as {
  first: number;
  period: number;
  count: number;
  slot: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const fires: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const due = first + i * period;
  // Each fire is due on this process's clock ("own-clock") or on the real one ("stamp").
  await sleep(mode === "own-clock" ? due - skewed() : due - Date.now());
  const at = mode === "own-clock" ? due : skewed();
  const calledAt = Date.now();
  fires.push(
    (async () => {
      let ranFrom = 0;
      let ranTo = 0;
      const result = await manager.runOnce(
        job,
        async () => {
          ranFrom = Date.now();
          // A short job of varying length; fires overlap with the next one's.
          await sleep(20 + Math.random() * 60);
          ranTo = Date.now();
        },
        { at, slot },
      );
      const record = {
        owner,
        fire: i,
        at,
        name: result.name,
        ran: result.ran,
        markedDone: result.ran && result.markedDone,
        calledAt,
        ranFrom,
        ranTo,
      };
      process.stdout.write(`${JSON.stringify(record)}\n`);
    })(),
  );
}
await Promise.all(fires);
await manager.close();
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
