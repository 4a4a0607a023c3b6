// The dual-package hazard: one process loads both builds, the CommonJS one with require() and
// the ES module one with import(), and gets two copies of every class. Errors must still be
// told apart by instanceof and by code across the copies, and the default manager must be one.
// The two files are named by path: every runtime then loads both (Deno, given the package's
// name, resolves require() and import() to one file). Prints one JSON report line; the test
// reads it.
"use strict";

const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

const dist = join(__dirname, "..", "..", "dist");
const cjs = require(join(dist, "index.cjs"));

async function main(urls) {
  const esm = await import(pathToFileURL(join(dist, "index.js")).href);
  const report = { copies: cjs.LockError === esm.LockError ? 1 : 2 };

  // A configuration error thrown by the CommonJS copy, seen by the ES module copy.
  let config;
  try {
    new cjs.Redlock(["ftp://nowhere"]);
  } catch (error) {
    config = error;
  }
  report.config = {
    code: config.code,
    isEsmConfig: config instanceof esm.LockConfigError,
    isEsmLockError: config instanceof esm.LockError,
    isEsmAcquisition: config instanceof esm.LockAcquisitionError,
    isQuorumLocksError: esm.isQuorumLocksError(config, "QUORUM_LOCKS_CONFIG"),
  };

  // A timeout from the ES module copy (a holder had the lock), seen by the CommonJS copy.
  const holderSide = new cjs.Redlock(urls);
  const waiterSide = new esm.Redlock(urls);
  try {
    const holder = await holderSide.acquire(["dual:held"], 30_000);
    let timeout;
    try {
      await waiterSide.acquire(["dual:held"], 30_000, { timeout: 100 });
    } catch (error) {
      timeout = error;
    }
    await holder.release();
    report.timeout = {
      code: timeout.code,
      isCjsTimeout: timeout instanceof cjs.LockTimeoutError,
      // A subclass's error is one of its parent too, in either copy...
      isCjsAcquisition: timeout instanceof cjs.LockAcquisitionError,
      isCjsLockError: timeout instanceof cjs.LockError,
      isCjsError: timeout instanceof Error,
      isCjsConfig: timeout instanceof cjs.LockConfigError,
    };
    // ...but a parent's error is no error of the subclass.
    const parent = new esm.LockAcquisitionError(["dual:held"], 1, [], { reason: "held" });
    report.parentIsCjsTimeout = parent instanceof cjs.LockTimeoutError;
    report.plainErrorIsCjsLockError = new Error("x") instanceof cjs.LockError;
  } finally {
    await Promise.all([holderSide.quit(), waiterSide.quit()]);
  }

  // The default manager: configured through one copy, used by the other's getLock and decorators.
  const configured = cjs.configureLocks({ redisNodes: urls });
  try {
    report.sameDefaultManager =
      esm.defaultManager() === configured && cjs.defaultManager() === configured;
    const handle = await esm.getLock("dual:default");
    report.heldThroughOtherCopy = await configured.isLocked("dual:default");
    await handle.release();
    const decorated = esm.distributedLock("dual:decorated")(async () => "ran", {
      kind: "method",
      name: "run",
    });
    report.decorated = await decorated();
  } finally {
    await esm.closeLocks();
  }
  return report;
}

main(process.argv.slice(2)).then(
  (report) => {
    console.log(JSON.stringify(report));
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
