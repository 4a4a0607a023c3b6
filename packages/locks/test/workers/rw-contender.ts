// Contends for one read-write lock: takes it `iterations` times, a write lease one time in
// `writeEvery` (else a read lease), and prints one JSON line per hold with its kind, start and
// end on the machine-wide monotonic clock. With mode "hold-read", takes one read lease of
// `iterations` ms, prints "held <token>" and waits to be killed.
import { Redlock } from "../../src/index.js";

const [
  urls = "",
  name = "rw-contended",
  iterationsArg = "20",
  owner = String(process.pid),
  mode = "mixed",
  writeEveryArg = "3",
] = process.argv.slice(2);
const redlock = new Redlock(urls.split(","), { retryCount: -1, retryDelay: 5, retryJitter: 10 });
const rw = redlock.readWriteLock(name);

if (mode === "hold-read") {
  const lease = await rw.acquireRead(Number(iterationsArg), { timeout: 10_000 });
  process.stdout.write(`held ${lease.value}\n`);
  await new Promise(() => undefined);
}

for (let i = 0; i < Number(iterationsArg); i++) {
  const kind = i % Number(writeEveryArg) === 0 ? "write" : "read";
  const lease =
    kind === "write"
      ? await rw.acquireWrite(2_000, { timeout: 60_000 })
      : await rw.acquireRead(2_000, { timeout: 60_000 });
  const start = process.hrtime.bigint();
  // Yield a few times (and, for readers, a little longer) so that a broken lock would let
  // another holder in.
  for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  if (kind === "read") await new Promise((r) => setTimeout(r, 2));
  const end = process.hrtime.bigint();
  if (!lease.isHeld()) throw new Error("lease lost while held");
  await lease.release();
  process.stdout.write(
    `${JSON.stringify({ owner, kind, start: start.toString(), end: end.toString() })}\n`,
  );
}
await redlock.quit();
