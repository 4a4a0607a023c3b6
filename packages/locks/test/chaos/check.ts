// `pnpm chaos:check DIR`: checks the logs a chaos run left in DIR, prints the report, and exits
// with 1 on any violation.
import { checkRun, formatReport } from "./checker.js";
import { readRunLogs } from "./run-logs.js";

const dir = process.argv[2];
if (dir === undefined) throw new Error("usage: chaos:check <run directory>");
const report = checkRun(readRunLogs(dir));
console.log(formatReport(report));
process.exitCode = report.violations.length > 0 ? 1 : 0;
