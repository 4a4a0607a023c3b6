// The API reports of quorum-locks: for each entry point in the package's `exports` (".",
// "./otel", ...), API Extractor reads its built .d.ts and writes what it declares to
// packages/locks/etc/<name>.api.md (quorum-locks.api.md, quorum-locks-otel.api.md, ...).
//
//   node scripts/api-report.mjs            fails when a report differs from the checked-in one
//   node scripts/api-report.mjs --update   rewrites the reports (commit them)
//
// A new entry point needs nothing here: it gets its report from the next --update.
// Run after `pnpm build`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const update = process.argv.includes("--update");
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(root, "packages", "locks");
const configPath = join(pkgDir, "api-extractor.json");
const packageJsonPath = join(pkgDir, "package.json");
const pkg = JSON.parse(readFileSync(packageJsonPath, "utf8"));

const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === "object" && target.import?.types !== undefined)
  .map(([subpath, target]) => ({
    name: subpath === "." ? pkg.name : `${pkg.name}-${subpath.slice(2).replaceAll("/", "-")}`,
    types: join(pkgDir, target.import.types),
    main: subpath === ".",
  }));

let failed = false;
for (const entry of entries) {
  const configObject = ExtractorConfig.loadFile(configPath);
  configObject.mainEntryPointFilePath = entry.types;
  configObject.apiReport = {
    ...configObject.apiReport,
    enabled: true,
    reportFileName: entry.name,
    reportTempFolder: join(pkgDir, ".tmp", "api", entry.name),
  };
  if (!entry.main) {
    // The other entries' declarations use the main entry's classes (Redlock, LockManager),
    // which the built .d.ts files share with it rather than import from "quorum-locks": the
    // report notes each one, so a new one shows in review.
    configObject.messages.extractorMessageReporting["ae-forgotten-export"] = {
      logLevel: "none",
      addToApiReportFile: true,
    };
  }
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configPath,
    packageJsonFullPath: packageJsonPath,
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  if (!result.succeeded) {
    failed = true;
    console.error(
      result.apiReportChanged
        ? `${entry.name}: the public API differs from etc/${entry.name}.api.md; run \`pnpm api:update\` and commit the report`
        : `${entry.name}: API Extractor failed (${result.errorCount} errors, ${result.warningCount} warnings)`,
    );
  }
}
if (failed) process.exit(1);
console.log(
  `API reports ${update ? "written" : "match"}: ${entries.map((e) => e.name).join(", ")}`,
);
