// The redis_based_lock seed's experiment: ten workers (processes) lock one resource for random
// durations longer than the lock's TTL, so the watchdog must renew it. One worker is killed
// (SIGKILL) while it holds the lock: nobody renews it any more, it expires after its TTL, and
// another worker takes over. Checks that no two workers ever held it at once.
import { LockManager } from "quorum-locks";
import { withNodes } from "../nodes.js";
import { startProcess } from "../processes.js";

interface Event {
  readonly worker: string;
  readonly event: string;
  readonly at: number; // µs, machine-wide monotonic clock
  readonly holdFor?: number;
  readonly extensions?: number;
}

export async function watchdog(urls: readonly string[], workers = 10, rounds = 1, ttl = 400) {
  console.log(
    `\n=== watchdog: ${workers} workers, lock ttl ${ttl} ms renewed while held; one is killed mid-hold ===`,
  );
  const manager = new LockManager({ redisNodes: [...urls] });
  const events: Event[] = [];
  // The first worker to take the lock is killed while it holds it: every other one is still to come.
  let victim: string | undefined;
  let killedAt = 0;
  const started = Array.from({ length: workers }, (_, w) => {
    const name = String(w + 1);
    const run = startProcess(
      new URL("./worker.ts", import.meta.url),
      { WORKER: name, NODES: urls.join(","), ROUNDS: String(rounds), TTL: String(ttl) },
      (line) => {
        const event = JSON.parse(line) as Event;
        events.push(event);
        const detail =
          event.holdFor !== undefined
            ? ` for ${event.holdFor} ms`
            : event.extensions !== undefined
              ? ` (the watchdog renewed the lock ${event.extensions} times)`
              : "";
        console.log(`[worker ${event.worker}] ${event.event}${detail}`);
        if (victim === undefined && event.event === "locked") {
          victim = event.worker;
          // Kill it halfway through its hold, after the watchdog renewed the lock at least once.
          setTimeout(() => {
            void manager.getLockInfo("target").then((info) => {
              console.log(
                `✂ killing worker ${event.worker} mid-hold (lock owner ${info?.owner.slice(0, 8) ?? "?"}…, expires in ${Math.max(0, (info?.expiresAt ?? 0) - Date.now())} ms)`,
              );
              killedAt = Number(process.hrtime.bigint() / 1000n);
              run.child.kill("SIGKILL");
            });
          }, ttl * 1.1);
        }
      },
    );
    return run;
  });
  const codes = await Promise.all(started.map((s) => s.exited));
  await manager.close();

  // Each hold runs from "locked" to "released"; the killed worker's lasts until it was killed.
  const holds = events
    .filter((e) => e.event === "locked")
    .map((e) => {
      const end = events.find(
        (r) => r.worker === e.worker && r.event === "released" && r.at > e.at,
      );
      return { worker: e.worker, start: e.at, end: end?.at ?? killedAt };
    })
    .sort((a, b) => a.start - b.start);
  const overlapping = holds.filter((h, i) => i > 0 && h.start < (holds[i - 1]?.end ?? 0));
  const takeover = holds.find((h) => h.start > killedAt);
  const waited = takeover === undefined ? 0 : (takeover.start - killedAt) / 1000;
  const othersDone = codes.filter((c, i) => String(i + 1) !== victim && c === 0).length;
  const ok =
    killedAt > 0 &&
    overlapping.length === 0 &&
    takeover !== undefined &&
    othersDone === workers - 1;
  console.log(
    ok
      ? `✓ ${holds.length} holds, none overlapping; after the kill worker ${takeover.worker} took over ${waited.toFixed(0)} ms later (the lock's ttl is ${ttl} ms); ${othersDone} workers finished`
      : `✗ killed: ${killedAt > 0}, overlaps: ${overlapping.length}, takeover: ${takeover?.worker ?? "none"}, finished: ${othersDone}/${workers - 1}`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => watchdog(urls, 10, 3, 1_000));
  process.exitCode = ok ? 0 : 1;
}
