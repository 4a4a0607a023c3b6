// Contends for one resource: acquires it `iterations` times, and prints one JSON line per hold
// with its start and end on the machine-wide monotonic clock.
import { Redlock } from "../../src/index.js";
import { formatHold } from "../fixtures/intervals.js";

const [urls = "", resource = "contended", iterationsArg = "20", owner = String(process.pid)] =
  process.argv.slice(2);
const redlock = new Redlock(urls.split(","), {
  retryCount: -1,
  retryDelay: 5,
  retryJitter: 10,
});

for (let i = 0; i < Number(iterationsArg); i++) {
  const lock = await redlock.acquire([resource], 2_000, { timeout: 30_000 });
  const start = process.hrtime.bigint();
  // Yield a few times so that a broken lock would let another holder in.
  for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  const end = process.hrtime.bigint();
  if (!lock.isHeld()) throw new Error("lock lost while held");
  await lock.release();
  process.stdout.write(`${formatHold(owner, start, end)}\n`);
}
await redlock.quit();
