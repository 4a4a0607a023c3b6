// `pnpm demo`: a short run of every example against five local Redis nodes (or REDLOCK_NODES).
import { withNodes } from "./nodes.js";
import { sharedFile } from "./shared-file/main.js";

console.log("quorum-locks demo");
const ok = await withNodes(async (urls) => {
  const results = [await sharedFile(urls)];
  return results.every(Boolean);
});
console.log(ok ? "\ndemo finished: every check passed" : "\ndemo finished: a check FAILED");
process.exitCode = ok ? 0 : 1;
