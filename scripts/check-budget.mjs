// The published package's budget: its runtime dependencies are only redis, p-retry and zod (client
// libraries and OpenTelemetry are optional peers), and the gzip size of each dist entry file stays
// within packages/locks/package.json "sizeBudget" ({ file: max gzip bytes }). Fails when a
// dependency is added, or a file is over its budget or missing (run `pnpm build` first).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..", "packages", "locks");
const {
  sizeBudget,
  dependencies = {},
  peerDependencies = {},
  peerDependenciesMeta = {},
} = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));

const RUNTIME_DEPENDENCIES = ["p-retry", "redis", "zod"];
let failed = false;
const extra = Object.keys(dependencies).filter((d) => !RUNTIME_DEPENDENCIES.includes(d));
const requiredPeers = Object.keys(peerDependencies).filter(
  (p) => !peerDependenciesMeta[p]?.optional,
);
if (extra.length > 0 || requiredPeers.length > 0) {
  console.error(
    `✗ dependencies beyond ${RUNTIME_DEPENDENCIES.join(", ")}: ${[...extra, ...requiredPeers].join(", ")}`,
  );
  failed = true;
} else {
  console.log(`✓ runtime dependencies: ${Object.keys(dependencies).join(", ")} (peers optional)`);
}

if (sizeBudget === undefined || Object.keys(sizeBudget).length === 0) {
  console.error("check-size: no sizeBudget in packages/locks/package.json");
  process.exit(1);
}

for (const [file, budget] of Object.entries(sizeBudget)) {
  const path = join(pkgDir, file);
  if (!existsSync(path)) {
    console.error(`✗ ${file}: missing (run pnpm build)`);
    failed = true;
    continue;
  }
  const gzipped = gzipSync(readFileSync(path), { level: 9 }).length;
  const over = gzipped > budget;
  failed ||= over;
  const share = ((gzipped / budget) * 100).toFixed(0);
  console.log(`${over ? "✗" : "✓"} ${file}: ${gzipped} B gzip of ${budget} B budget (${share} %)`);
}
process.exit(failed ? 1 : 0);
