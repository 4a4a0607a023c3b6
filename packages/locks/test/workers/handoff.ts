// One side of a lock hand-off. `acquire URLS RESOURCE TTL`: acquires, prints the lock's wire
// (JSON.stringify) on one line and quits, which leaves a serialized (handed-off) lock held.
// `adopt URLS WIRE TTL`: adopts the wire, extends and releases it, printing one JSON line per
// step.
import { Redlock } from "../../src/index.js";

const [mode = "", urls = "", arg = "", ttlArg = "10000"] = process.argv.slice(2);
const redlock = new Redlock(urls.split(","), { retryCount: 0 });
const ttl = Number(ttlArg);
const say = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

if (mode === "acquire") {
  const lock = await redlock.acquire(arg, ttl, { fencing: true });
  process.stdout.write(`${JSON.stringify(lock)}\n`);
} else if (mode === "adopt") {
  const lock = redlock.adopt(JSON.parse(arg));
  say({
    step: "adopted",
    held: lock.isHeld(),
    remaining: lock.remaining,
    fence: String(lock.fencingToken),
  });
  await lock.extend(ttl);
  say({ step: "extended", held: lock.isHeld(), remaining: lock.remaining });
  await lock.release();
  say({ step: "released", held: lock.isHeld() });
} else {
  throw new Error(`unknown mode ${mode}`);
}
await redlock.quit();
