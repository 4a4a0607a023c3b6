// `pnpm demo`: a short run of every example against five local Redis nodes (or REDLOCK_NODES).
import { withNodes } from "./nodes.js";
import { nestjs } from "./nestjs/main.js";
import { perUserDecorator } from "./per-user-decorator/main.js";
import { prometheus } from "./prometheus/main.js";
import { scheduledJobs } from "./scheduled-jobs/main.js";
import { sharedFile } from "./shared-file/main.js";
import { stampede } from "./stampede/main.js";
import { watchdog } from "./watchdog/main.js";

console.log("quorum-locks demo");
const ok = await withNodes(async (urls) => {
  const results = [
    await sharedFile(urls),
    await watchdog(urls, 10, 1, 400),
    await perUserDecorator(urls),
    await stampede(urls, 4, 100),
    await prometheus(urls),
    await scheduledJobs(urls, 3, 3),
    await nestjs(urls, 2_000),
  ];
  return results.every(Boolean);
});
console.log(ok ? "\ndemo finished: every check passed" : "\ndemo finished: a check FAILED");
process.exitCode = ok ? 0 : 1;
