import { expect, test } from "vitest";
import { useNodes } from "../fixtures/vitest.js";
import { startWorker } from "../fixtures/workers.js";

const env = useNodes(3);

interface FireRecord {
  readonly owner: string;
  readonly fire: number;
  /** The fire time the process passed to runOnce(). */
  readonly at: number;
  readonly name: string;
  readonly ran: boolean;
  readonly markedDone: boolean;
  readonly calledAt: number;
  readonly ranFrom: number;
  readonly ranTo: number;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * Starts one worker per clock offset, waits until all are connected, hands them the schedule,
 * and returns every process's record of every fire.
 */
async function fleet(
  job: string,
  mode: "own-clock" | "stamp",
  offsets: readonly number[],
  schedule: { period: number; count: number; slot: number },
): Promise<FireRecord[]> {
  const workers = offsets.map((offset, i) => {
    const worker = startWorker("scheduled-fires", [
      env.nodes.urls.join(","),
      job,
      mode,
      String(offset),
      `p${i}`,
    ]);
    const ready = new Promise<void>((resolve, reject) => {
      let seen = "";
      worker.child.stdout.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("ready\n")) resolve();
      });
      void worker.done.then((r) => {
        reject(new Error(`worker p${i} exited ${r.code ?? r.signal}:\n${r.stderr}`));
      });
    });
    return { ...worker, ready };
  });
  await Promise.all(workers.map((w) => w.ready));
  // The first fire a little ahead, so that no process is past it when it reads the schedule;
  // on a multiple of the period, as a scheduler's fires are.
  const { period } = schedule;
  const first = Math.ceil((Date.now() + 500) / period) * period;
  for (const w of workers) w.child.stdin.end(`${JSON.stringify({ first, ...schedule })}\n`);
  const results = await Promise.all(workers.map((w) => w.done));
  return results.flatMap((r, i) => {
    if (r.code !== 0) throw new Error(`worker p${i} exited ${r.code ?? r.signal}:\n${r.stderr}`);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.at(-1)).toBe('{"done":true}');
    return lines.slice(0, -1).map((l) => JSON.parse(l) as FireRecord);
  });
}

// Worker processes take seconds to start on a busy machine: these tests get 90 s each.

/** Checks that each fire was named alike by all processes and ran on exactly one of them. */
function expectEachFireOnce(records: readonly FireRecord[], processes: number, count: number) {
  const byFire = groupBy(records, (r) => r.fire);
  expect([...byFire.keys()].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
  const names = new Set<string>();
  let lateSkips = 0;
  for (const [fire, calls] of byFire) {
    expect(calls, `fire ${fire}`).toHaveLength(processes);
    expect(new Set(calls.map((c) => c.name)).size, `fire ${fire}: one name`).toBe(1);
    const winners = calls.filter((c) => c.ran);
    expect(
      winners.map((w) => w.owner),
      `fire ${fire}: ran once`,
    ).toHaveLength(1);
    const winner = winners[0] as FireRecord;
    expect(winner.markedDone).toBe(true);
    names.add(winner.name);
    // A process that came to this fire after its run was over: the done-marker skipped it.
    lateSkips += calls.filter((c) => !c.ran && c.calledAt > winner.ranTo).length;
  }
  expect(names.size).toBe(count);
  return { lateSkips };
}

test("4 processes whose clocks are up to 700 ms apart fire a job 40 times, 250 ms apart: each fire runs once", async () => {
  // Each process fires on its own clock: the one 450 ms ahead fires first, the one 250 ms
  // behind 700 ms later, long after the first one's run (20-80 ms) ended.
  const offsets = [0, 450, -250, 200];
  const count = 40;
  const records = await fleet("every-250ms", "own-clock", offsets, {
    period: 250,
    count,
    slot: 250,
  });
  const { lateSkips } = expectEachFireOnce(records, offsets.length, count);
  // Slower clocks came after the winner's run had ended (on most fires), and skipped.
  expect(lateSkips).toBeGreaterThan(count / 2);
}, 90_000);

test("fires stamped with clocks 300 ms apart (at: now), slots of 1 s: each fire runs once", async () => {
  const offsets = [0, 150, -150, 100];
  const count = 8;
  const records = await fleet("every-second", "stamp", offsets, {
    period: 1_000,
    count,
    slot: 1_000,
  });
  expectEachFireOnce(records, offsets.length, count);
  // The stamps of one fire differed (by 300 ms, give or take each process's timer lateness):
  // rounding to the slot is what named the fire alike.
  const spreads = [...groupBy(records, (r) => r.fire).values()].map((calls) => {
    const ats = calls.map((c) => c.at);
    return Math.max(...ats) - Math.min(...ats);
  });
  expect(spreads.filter((s) => s > 150).length).toBeGreaterThan(count / 2);
}, 90_000);
