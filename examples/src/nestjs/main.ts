// NestJS: two instances of a service (two processes) use quorum-locks/nestjs. Each fires its
// @Cron() digest every second and one of them sends it; their exports of one user never run
// at the same time.
import { fileURLToPath } from "node:url";
import { withNodes } from "../nodes.js";
import { startProcess } from "../processes.js";

interface Line {
  readonly instance: string;
  readonly event: "digest" | "export-start" | "export-end";
  readonly second?: string;
  readonly at?: number;
}

export async function nestjs(urls: readonly string[], runFor = 3_000) {
  console.log(
    "\n=== NestJS: two instances, QuorumLocksModule, @Cron() + @oncePerFire(), @distributedLock() ===",
  );
  const lines: Line[] = [];
  const runs = ["A", "B"].map((instance) =>
    startProcess(
      new URL("./app.ts", import.meta.url),
      {
        INSTANCE: instance,
        NODES: urls.join(","),
        RUN_FOR: String(runFor),
        TSX_TSCONFIG_PATH: fileURLToPath(new URL("./tsconfig.json", import.meta.url)),
      },
      (text) => {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        if (line.event === "digest") {
          console.log(
            `[instance ${line.instance}] ${line.second?.slice(11, 19) ?? ""} sent the digest`,
          );
        } else {
          console.log(`[instance ${line.instance}] ${line.event} of user 42`);
        }
      },
    ),
  );
  const codes = await Promise.all(runs.map((r) => r.exited));
  const seconds = lines.filter((l) => l.event === "digest").map((l) => l.second);
  const digestsOnce = seconds.length > 0 && new Set(seconds).size === seconds.length;
  // Export holds in time order: each ends before the next starts.
  const events = lines
    .filter((l) => l.event !== "digest")
    .sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  const exportsApart = events.every(
    (e, i) => e.event === (i % 2 === 0 ? "export-start" : "export-end"),
  );
  const ok = codes.every((c) => c === 0) && digestsOnce && exportsApart && events.length === 12;
  console.log(
    ok
      ? `✓ ${seconds.length} digests, each second's sent by one instance; 6 exports of user 42, one at a time`
      : `✗ exits ${codes.join(", ")}; digests once: ${digestsOnce}; exports apart: ${exportsApart} (${events.length / 2})`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => nestjs(urls, 5_000));
  process.exitCode = ok ? 0 : 1;
}
