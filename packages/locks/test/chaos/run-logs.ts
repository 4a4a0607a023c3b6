import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunLogs } from "./checker.js";
import { type FaultRecord, parseRecords, type StoreEntry, type WorkerRecord } from "./records.js";

/** File names inside a run directory. */
export const runFiles = {
  meta: "meta.json",
  faults: "faults.jsonl",
  store: "store.jsonl",
  worker: (name: string) => `worker-${name}.jsonl`,
};

/** Reads the logs a chaos run left in `dir`. */
export function readRunLogs(dir: string): RunLogs {
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const workers = readdirSync(dir)
    .filter((f) => f.startsWith("worker-") && f.endsWith(".jsonl"))
    .flatMap((f) => parseRecords<WorkerRecord>(read(f)));
  const store = parseRecords<StoreEntry>(read(runFiles.store));
  // A semaphore run records its limit in the run's meta (older runs have none).
  const meta = existsSync(join(dir, runFiles.meta))
    ? (JSON.parse(read(runFiles.meta)) as { limit?: number })
    : {};
  return {
    workers,
    faults: parseRecords<FaultRecord>(read(runFiles.faults)),
    store,
    ...(meta.limit === undefined ? {} : { limit: meta.limit }),
  };
}
