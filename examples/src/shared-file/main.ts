// The first two seeds' scenario: five workers, in separate processes, append lines to one shared
// file under one lock, taken with tryLock()/unlock() or held with `await using`. Every line ends
// up whole; none is interleaved with another.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withNodes } from "../nodes.js";
import { runProcess } from "../processes.js";

export async function sharedFile(
  urls: readonly string[],
  workers = 5,
  lines = 3,
): Promise<boolean> {
  console.log(`\n=== shared file: ${workers} worker processes × ${lines} lines under one lock ===`);
  const dir = await mkdtemp(join(tmpdir(), "quorum-locks-demo-"));
  const file = join(dir, "shared-file.txt");
  await writeFile(file, "");
  try {
    await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        runProcess(new URL("./worker.ts", import.meta.url), {
          WORKER: String(w + 1),
          FILE: file,
          LINES: String(lines),
          NODES: urls.join(","),
        }),
      ),
    );
    const content = await readFile(file, "utf8");
    const written = content.split("\n").filter((l) => l !== "");
    const whole = written.filter((l) => /^\[[^\]]+\] worker \d+ wrote line \d+$/.test(l));
    console.log(`\n--- ${file} ---\n${content}---`);
    const ok = written.length === workers * lines && whole.length === written.length;
    console.log(
      ok
        ? `✓ ${written.length} lines, all whole: no two workers ever wrote at the same time`
        : `✗ ${whole.length} of ${written.length} lines whole (expected ${workers * lines})`,
    );
    return ok;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => sharedFile(urls));
  process.exitCode = ok ? 0 : 1;
}
