// One worker process: appends LINES lines to FILE, each under the "shared-file" lock. A line is
// written in pieces with pauses in between, so without the lock lines from different workers
// would interleave. Even workers release explicitly; odd ones use `await using`.
import { appendFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Redlock } from "quorum-locks";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const worker = Number(env("WORKER"));
const file = env("FILE");
const redlock = new Redlock(env("NODES").split(","), {
  retryCount: -1,
  retryDelay: 50,
  retryJitter: 50,
});

async function writeLine(line: number): Promise<void> {
  const text = `[${new Date().toISOString()}] worker ${worker} wrote line ${line}\n`;
  for (let i = 0; i < text.length; i += 12) {
    await appendFile(file, text.slice(i, i + 12));
    await sleep(3);
  }
}

for (let line = 1; line <= Number(env("LINES")); line++) {
  console.log(`[worker ${worker}] waiting for the lock…`);
  if (worker % 2 === 0) {
    const lock = await redlock.acquire(["shared-file"], 5_000, { timeout: 60_000 });
    console.log(`[worker ${worker}] ✓ acquired (attempt ${lock.attempts}), writing line ${line}`);
    await writeLine(line);
    await lock.release();
    console.log(`[worker ${worker}] ✓ released`);
  } else {
    await using lock = await redlock.acquire(["shared-file"], 5_000, { timeout: 60_000 });
    console.log(
      `[worker ${worker}] ✓ acquired with await using (attempt ${lock.attempts}), writing line ${line}`,
    );
    await writeLine(line);
    console.log(`[worker ${worker}] ✓ releasing at the end of the scope`);
  }
}
await redlock.quit();
