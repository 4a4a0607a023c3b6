import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { jain } from "../stats.js";

const worker = fileURLToPath(new URL("../workers/fairness-worker.ts", import.meta.url));

interface Worker {
  ready: Promise<void>;
  go(durationMs: number): void;
  result: Promise<{ sections: number; maxWaitMs: number }>;
}

function start(args: string[]): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve) => {
    lines.once("line", () => {
      resolve();
    });
  });
  const result = new Promise<{ sections: number; maxWaitMs: number }>((resolve, reject) => {
    let last = "";
    lines.on("line", (line) => (last = line));
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(last) as { sections: number; maxWaitMs: number });
      else reject(new Error(`fairness worker exited ${code}`));
    });
  });
  return { ready, result, go: (ms) => child.stdin.end(`go ${ms}\n`) };
}

/**
 * `processes` processes contend for one key for `durationMs`, all starting together once every
 * one is connected: sections completed by each, Jain's index over them, and the longest wait.
 */
export async function fairness(
  contender: string,
  urls: readonly string[],
  { processes, durationMs, key }: { processes: number; durationMs: number; key: string },
): Promise<{ sections: number[]; jain: number; maxWaitMs: number }> {
  const workers = Array.from({ length: processes }, () => start([contender, urls.join(","), key]));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.go(durationMs);
  const results = await Promise.all(workers.map((w) => w.result));
  const sections = results.map((r) => r.sections);
  return {
    sections,
    jain: jain(sections),
    maxWaitMs: Math.max(...results.map((r) => r.maxWaitMs)),
  };
}
