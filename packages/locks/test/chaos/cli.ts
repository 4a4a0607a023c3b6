// `pnpm test:chaos [--minutes N] [--seed S] [--workers W] [--kinds a,b] [--dir D]
// [--long-holds F] [--quarantine MS] [--schedule mutex|semaphore|read-write] [--limit L]`: a
// chaos run of N minutes (default 1), its report, and exit
// code 1 on any violation. --long-holds is the fraction of holds that last until shortly before
// their validity ends (default 0.25). --quarantine sets the workers' restartQuarantine; it is
// there to show the hazard: `--quarantine 0` (off) must make flush-holder find overlaps.
import { parseArgs } from "node:util";
import { formatReport } from "./checker.js";
import { type FaultKind, faultKinds } from "./nemesis.js";
import { runChaos } from "./run.js";
import type { ChaosSchedule } from "./worker-config.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "1" },
    seed: { type: "string" },
    workers: { type: "string" },
    kinds: { type: "string" },
    dir: { type: "string" },
    "long-holds": { type: "string" },
    quarantine: { type: "string" },
    schedule: { type: "string", default: "mutex" },
    limit: { type: "string" },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error("--minutes must be a positive number");
const longHolds = values["long-holds"] === undefined ? undefined : Number(values["long-holds"]);
if (longHolds !== undefined && !(longHolds >= 0 && longHolds <= 1)) {
  throw new Error("--long-holds must be a fraction from 0 to 1");
}
const quarantine = values.quarantine === undefined ? undefined : Number(values.quarantine);
if (quarantine !== undefined && !(quarantine >= 0)) {
  throw new Error("--quarantine must be a number of ms, 0 for off");
}
const schedules: readonly ChaosSchedule[] = ["mutex", "semaphore", "read-write"];
const schedule = values.schedule as ChaosSchedule;
if (!schedules.includes(schedule))
  throw new Error(`--schedule must be one of ${schedules.join(", ")}`);
const limit = values.limit === undefined ? undefined : Number(values.limit);
if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
  throw new Error("--limit must be a positive integer");
}
const kinds = values.kinds?.split(",") as FaultKind[] | undefined;
const unknown = kinds?.filter((k) => !faultKinds.includes(k));
if (unknown !== undefined && unknown.length > 0) {
  throw new Error(`unknown fault kinds: ${unknown.join(", ")} (known: ${faultKinds.join(", ")})`);
}

const quarantineNote = quarantine === undefined ? "" : `, restartQuarantine ${quarantine}`;
console.log(`chaos: ${minutes} min of faults on the ${schedule} schedule${quarantineNote}…`);
const result = await runChaos({
  durationMs: minutes * 60_000,
  seed: values.seed === undefined ? undefined : Number(values.seed),
  workers: values.workers === undefined ? undefined : Number(values.workers),
  kinds,
  dir: values.dir,
  longHolds,
  quarantine,
  schedule,
  limit,
});
console.log(`seed: ${result.seed} (replay the faults with --seed ${result.seed})`);
console.log(`logs: ${result.dir}`);
console.log(`duration: ${(result.elapsedMs / 1000).toFixed(1)} s`);
console.log(formatReport(result.report));
for (const error of result.workerErrors) console.log(`worker error: ${error}`);
process.exitCode = result.report.violations.length > 0 || result.workerErrors.length > 0 ? 1 : 0;
