// One worker process: appends LINES lines to FILE, each under the "shared-file" lock. A line is
// written in pieces with pauses in between, so without the lock lines from different workers
// would interleave. Even workers use tryLock()/unlock() (the first seed's lock/unlock); odd ones
// hold a handle with `await using` (its context manager).
import { appendFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { LockManager } from "quorum-locks";
import { env } from "../processes.js";

const worker = Number(env("WORKER"));
const file = env("FILE");
const manager = new LockManager({
  redisNodes: env("NODES").split(","),
  defaultTtl: 5_000,
  defaultTimeout: 60_000,
  retryDelay: 50,
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
    if (!(await manager.tryLock("shared-file", { timeout: 60_000, retryDelay: 50 }))) {
      console.log(`[worker ${worker}] ✗ could not lock within the timeout`);
      process.exitCode = 1;
      break;
    }
    console.log(`[worker ${worker}] ✓ tryLock() took it, writing line ${line}`);
    try {
      await writeLine(line);
    } finally {
      await manager.unlock("shared-file");
    }
    console.log(`[worker ${worker}] ✓ unlock()`);
  } else {
    await using lock = await manager.getLock("shared-file");
    console.log(
      `[worker ${worker}] ✓ getLock() with await using (token ${lock.value?.slice(0, 8) ?? "?"}…), writing line ${line}`,
    );
    await writeLine(line);
    console.log(`[worker ${worker}] ✓ releasing at the end of the scope`);
  }
}
await manager.close();
