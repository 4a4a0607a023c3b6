// Takes permits of a semaphore `iterations` times (or, with iterations "hold", once, printing
// "held" and then keeping them until killed), and prints one JSON line per hold with its start
// and end on the machine-wide monotonic clock and its weight.
import { Redlock } from "../../src/index.js";

const [
  urls = "",
  name = "pool",
  limitArg = "3",
  iterationsArg = "20",
  permitsArg = "1",
  ttlArg = "2000",
  owner = String(process.pid),
] = process.argv.slice(2);
const redlock = new Redlock(urls.split(","), { retryCount: -1, retryDelay: 5, retryJitter: 10 });
const sem = redlock.semaphore(name, { limit: Number(limitArg) });
const permits = Number(permitsArg);

if (iterationsArg === "hold") {
  const permit = await sem.acquire(Number(ttlArg), { permits, timeout: 30_000 });
  process.stdout.write(`held ${permit.expiration}\n`);
  await new Promise(() => undefined);
}

for (let i = 0; i < Number(iterationsArg); i++) {
  const permit = await sem.acquire(Number(ttlArg), { permits, timeout: 60_000 });
  const start = process.hrtime.bigint();
  // Yield a few times so that a broken semaphore would let another holder in.
  for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  const end = process.hrtime.bigint();
  if (!permit.isHeld()) throw new Error("permit lost while held");
  await permit.release();
  process.stdout.write(
    `${JSON.stringify({ owner, start: start.toString(), end: end.toString(), permits })}\n`,
  );
}
await redlock.quit();
