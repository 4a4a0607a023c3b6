#!/usr/bin/env node
// The `quorum-locks` command: inspect and repair locks on the nodes given by --nodes or
// REDLOCK_NODES. See USAGE in args.ts for commands, options and exit codes.
import { readFileSync } from "node:fs";
import { LockConfigError } from "../errors/index.js";
import { ExitCode, type Invocation, parseInvocation, USAGE, UsageError } from "./args.js";
import { Nodes } from "./fan-out.js";
import { listJson, listText, statusJson, statusText } from "./format.js";
import {
  primitivesJson,
  primitivesText,
  rwJson,
  rwStatusText,
  semaphoreJson,
  semaphoreStatusText,
} from "./format-primitives.js";
import { listLocks, readStatus } from "./inspect.js";
import { listPrimitives, readRw, readSemaphore, rwInUse, semaphoreInUse } from "./primitives.js";
import { forceRelease } from "./release.js";
import { watch } from "./watch.js";

type Run = Extract<Invocation, { kind: "run" }>;

function version(): string {
  // dist/cli.js sits one level below the package's package.json.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function usageError(message: string): ExitCode {
  process.stderr.write(`quorum-locks: ${message}\nRun 'quorum-locks --help' for usage.\n`);
  return ExitCode.Usage;
}

async function run(inv: Run, nodes: Nodes): Promise<ExitCode> {
  const { stdout } = process;
  switch (inv.command) {
    case "status": {
      const name = inv.target as string;
      const [status, semaphore, rw] = await Promise.all([
        readStatus(nodes, name),
        readSemaphore(nodes, name),
        readRw(nodes, name),
      ]);
      const semaphoreShown = semaphoreInUse(semaphore);
      const rwShown = rwInUse(rw);
      if (inv.json) {
        const json = {
          ...(statusJson(status) as object),
          semaphore: semaphoreShown ? semaphoreJson(semaphore, true) : null,
          readWrite: rwShown ? rwJson(rw, true) : null,
        };
        stdout.write(`${JSON.stringify(json)}\n`);
      } else {
        // A name used as a semaphore or read-write lock shows that; the plain lock's table only
        // when it is used as a lock too (or as nothing: then it says why it is free).
        const parts: string[] = [];
        if (status.verdict.state !== "free" || (!semaphoreShown && !rwShown)) {
          parts.push(statusText(status));
        }
        if (semaphoreShown) parts.push(semaphoreStatusText(semaphore));
        if (rwShown) parts.push(rwStatusText(rw));
        stdout.write(`${parts.join("\n\n")}\n`);
      }
      const state = status.verdict.state;
      if (semaphore.used > 0 || rw.writer !== null || rw.readers.length > 0) return ExitCode.Ok;
      return state === "held"
        ? ExitCode.Ok
        : state === "unknown"
          ? ExitCode.Error
          : ExitCode.NotHeld;
    }
    case "list": {
      const pattern = inv.target ?? "*";
      const [{ locks, nodes: answers }, primitives] = await Promise.all([
        listLocks(nodes, pattern),
        listPrimitives(nodes, pattern),
      ]);
      stdout.write(
        `${
          inv.json
            ? JSON.stringify({
                ...(listJson(locks, answers) as object),
                ...primitivesJson(primitives),
              })
            : listText(locks, answers, primitivesText(primitives))
        }\n`,
      );
      const up = answers.filter((a) => a.ok).length;
      return up >= nodes.quorum ? ExitCode.Ok : ExitCode.Error;
    }
    case "release":
      return forceRelease(nodes, inv.target as string, {
        json: inv.json,
        yes: inv.yes,
        stdin: process.stdin,
        stdout,
        stderr: process.stderr,
      });
    case "watch":
      return watch(nodes, {
        pattern: inv.target ?? "*",
        interval: inv.interval,
        iterations: inv.iterations,
        json: inv.json,
        stdout,
      });
  }
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  let inv: Invocation;
  try {
    inv = parseInvocation(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message);
    throw error;
  }
  if (inv.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  if (inv.kind === "version") {
    process.stdout.write(`${version()}\n`);
    return ExitCode.Ok;
  }
  let nodes: Nodes;
  try {
    nodes = new Nodes(inv.nodes, inv.timeout);
  } catch (error) {
    // The message names the bad node by position, never by its URL (it may hold a password).
    if (error instanceof LockConfigError) return usageError(error.message);
    throw error;
  }
  try {
    return await run(inv, nodes);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message);
    process.stderr.write(
      `quorum-locks: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return ExitCode.Error;
  } finally {
    await nodes.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `quorum-locks: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = ExitCode.Error;
  },
);
