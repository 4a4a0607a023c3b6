// Scheduled jobs, once per fire: three replicas of a service each schedule the same job with
// croner every second. Each fire runs on exactly one replica; the others skip it at once, also
// a replica that fires late, after the winner finished (the slot stays marked done).
import { createClient } from "redis";
import { withNodes } from "../nodes.js";
import { startProcess } from "../processes.js";

interface Fire {
  readonly worker: string;
  readonly slot: string;
  readonly ran: boolean;
}

export async function scheduledJobs(urls: readonly string[], replicas = 3, fires = 3) {
  console.log(
    `\n=== scheduled jobs: ${replicas} replicas fire "send-digest" every second with croner; manager.runOnce() runs each fire once ===`,
  );
  const redis = createClient({ url: urls[0] ?? "" });
  await redis.connect();
  await redis.del(["scheduled-jobs:ready", "scheduled-jobs:start"]);
  const seen: Fire[] = [];
  const runs = Array.from({ length: replicas }, (_, i) =>
    startProcess(
      new URL("./worker.ts", import.meta.url),
      {
        WORKER: String(i + 1),
        NODES: urls.join(","),
        REPLICAS: String(replicas),
        FIRES: String(fires),
      },
      (line) => {
        const fire = JSON.parse(line) as Fire;
        seen.push(fire);
        console.log(
          `[replica ${fire.worker}] ${fire.slot.slice(11, 19)} ${fire.ran ? "ran the job" : "skipped (another replica has it)"}`,
        );
      },
    ),
  );
  const codes = await Promise.all(runs.map((r) => r.exited));
  await redis.quit();
  const slots = [...new Set(seen.map((f) => f.slot))];
  const once = slots.every(
    (slot) =>
      seen.filter((f) => f.slot === slot && f.ran).length === 1 &&
      seen.filter((f) => f.slot === slot).length === replicas,
  );
  const ok = codes.every((c) => c === 0) && slots.length === fires && once;
  console.log(
    ok
      ? `✓ ${fires} fires × ${replicas} replicas: every fire ran exactly once`
      : `✗ exits ${codes.join(", ")}; ${slots.length}/${fires} fires seen; each once: ${once}`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => scheduledJobs(urls, 3, 6));
  process.exitCode = ok ? 0 : 1;
}
