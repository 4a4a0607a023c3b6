// One of several processes contending for one key. It connects and warms up, says "ready", and
// on "go <duration>" from its parent acquires, holds for ~1 ms and releases in a loop for that
// long; then it prints how many sections it completed and its longest wait.
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { contenders } from "../contenders/index.js";

const [name = "", urls = "", key = ""] = process.argv.slice(2);
const factory = contenders[name];
if (factory === undefined) throw new Error(`unknown contender ${name}`);
const contender = await factory(urls.split(","));
await (
  await contender.acquire(`${key}:warm:${process.pid}`, 5_000, 5_000)
)();
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
const go = await new Promise<string>((resolve) => lines.once("line", resolve));
lines.close();
const stopAt = performance.now() + Number(go.split(" ")[1]);
let sections = 0;
let maxWaitMs = 0;
while (performance.now() < stopAt) {
  const askedAt = performance.now();
  const release = await contender.acquire(key, 5_000, 60_000);
  maxWaitMs = Math.max(maxWaitMs, performance.now() - askedAt);
  await sleep(1);
  await release();
  sections++;
}
await contender.close();
process.stdout.write(`${JSON.stringify({ sections, maxWaitMs })}\n`);
