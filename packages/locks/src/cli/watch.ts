import { setTimeout as sleep } from "node:timers/promises";
import { ExitCode } from "./args.js";
import type { Nodes } from "./fan-out.js";
import { lockJson, nodesJson, type WatchedLock, watchText } from "./format.js";
import { primitivesJson, primitivesText } from "./format-primitives.js";
import { listLocks, readWaiters } from "./inspect.js";
import { listPrimitives } from "./primitives.js";

export interface WatchOptions {
  readonly pattern: string;
  readonly interval: number;
  readonly iterations: number;
  readonly json: boolean;
  readonly stdout: NodeJS.WriteStream;
}

const CLEAR = "\x1b[H\x1b[2J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

/**
 * Refreshes a table of held locks every `interval` ms: owner, nodes, ttl, waiters (subscribers
 * to the release channel, the most any node reports), fair-queue length, and handovers (owner
 * changes seen since the watch began), then semaphores (permits used/limit, holders) and
 * read-write locks (writer, readers, waiting writer), as `list` shows them. On a terminal each refresh redraws the screen; otherwise
 * refreshes follow one another (JSON: one line each). Ends after `iterations` or on Ctrl-C.
 */
export async function watch(nodes: Nodes, options: WatchOptions): Promise<ExitCode> {
  const { stdout } = options;
  const redraw = stdout.isTTY && !options.json;
  const stop = new AbortController();
  const onSigint = () => {
    stop.abort();
  };
  const stopped = () => stop.signal.aborted;
  process.once("SIGINT", onSigint);
  const owners = new Map<string, string>();
  const handovers = new Map<string, number>();
  if (redraw) stdout.write(HIDE_CURSOR);
  try {
    for (let i = 0; i < options.iterations && !stopped(); i++) {
      if (i > 0) await sleep(options.interval, undefined, { signal: stop.signal }).catch(ignore);
      if (stopped()) break;
      const [{ locks, nodes: answers }, primitives] = await Promise.all([
        listLocks(nodes, options.pattern),
        listPrimitives(nodes, options.pattern),
      ]);
      const waiting = await readWaiters(
        nodes,
        locks.map((l) => l.resource),
      );
      const watched = locks.map((lock): WatchedLock => {
        if (lock.verdict.state === "held") {
          const previous = owners.get(lock.resource);
          if (previous !== undefined && previous !== lock.verdict.token) {
            handovers.set(lock.resource, (handovers.get(lock.resource) ?? 0) + 1);
          }
          owners.set(lock.resource, lock.verdict.token);
        }
        const w = waiting.get(lock.resource) ?? { waiters: 0, queued: 0 };
        return { ...lock, ...w, handovers: handovers.get(lock.resource) ?? 0 };
      });
      const at = new Date();
      if (options.json) {
        const frame = {
          at: at.toISOString(),
          nodes: nodesJson(answers),
          locks: watched.map((l) => ({
            ...lockJson(l),
            waiters: l.waiters,
            queued: l.queued,
            handovers: l.handovers,
          })),
          ...primitivesJson(primitives),
        };
        stdout.write(`${JSON.stringify(frame)}\n`);
      } else {
        const text = watchText(watched, answers, at, primitivesText(primitives));
        stdout.write(redraw ? `${CLEAR}${text}\n` : `${text}\n\n`);
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    if (redraw) stdout.write(SHOW_CURSOR);
  }
  return ExitCode.Ok;
}

function ignore(): void {
  // The sleep was cut short by Ctrl-C.
}
