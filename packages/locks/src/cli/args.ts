import { parseArgs } from "node:util";

/** Exit codes of the `quorum-locks` command. */
export const ExitCode = {
  /** Done; `status`: the lock is held by one owner on a quorum (or permits, or a read or write lease). */
  Ok: 0,
  /** Something failed: nodes unreachable, a verdict that cannot be reached, a release that failed. */
  Error: 1,
  /** The command line is wrong (unknown command or option, missing argument, --yes needed). */
  Usage: 2,
  /** `status`: the lock is not held (free, or split between owners); `release`: nothing to release. */
  NotHeld: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command-line mistake: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: quorum-locks <command> [arguments] [options]

Inspect and repair quorum-locks (Redlock) locks on a set of Redis nodes.

Commands:
  status <resource>           each node's holder (first 8 characters of its token), ttl left and
                              fencing counter, and the quorum's verdict: held, free or split;
                              for a semaphore, permits used/limit and which slots each permit
                              holds; for a read-write lock, its writer, readers and a waiting
                              writer (each with its ttl)
  list [pattern]              held locks, semaphores and read-write locks, merged across nodes
                              (SCAN, never KEYS); pattern is a Redis MATCH glob, default *
  release --force <resource>  delete a stuck lock on every node, after confirmation
  watch [pattern]             live table of held locks, waiters and contention, semaphores and
                              read-write locks (Ctrl-C quits)

Options:
  -n, --nodes <urls>     comma-separated redis:// or rediss:// URLs (default: $REDLOCK_NODES)
      --json             JSON output (watch: one JSON line per refresh)
      --timeout <ms>     per-node connect and command timeout (default 2000)
      --force            release: required, to say you mean it
  -y, --yes              release: do not ask for confirmation (required without a terminal)
      --interval <ms>    watch: refresh period (default 1000)
      --once             watch: one refresh, then exit
      --iterations <n>   watch: exit after n refreshes
  -h, --help             show this help
  -v, --version          show the version

Exit codes:
  0  ok (status: held by one owner on a quorum of nodes, or permits or a read or write lease
     held on a quorum)
  1  error (too few nodes answered, a release that failed, ...)
  2  usage error
  3  status: not held (free or split); release: nothing to release

Passwords in node URLs are never printed: nodes are shown as host:port.`;

export type Command = "status" | "list" | "release" | "watch";
const COMMANDS: readonly string[] = ["status", "list", "release", "watch"];

export type Invocation =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly command: Command;
      /** The resource (status, release) or the pattern (list, watch). */
      readonly target: string | undefined;
      readonly nodes: readonly string[];
      readonly json: boolean;
      readonly timeout: number;
      readonly force: boolean;
      readonly yes: boolean;
      readonly interval: number;
      /** watch: refreshes before exiting; Infinity until Ctrl-C. */
      readonly iterations: number;
    };

function positiveInteger(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${option} must be a positive whole number`);
  }
  return n;
}

/** Reads the command line; throws UsageError for anything it cannot make sense of. */
export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        nodes: { type: "string", short: "n" },
        json: { type: "boolean" },
        timeout: { type: "string" },
        force: { type: "boolean" },
        yes: { type: "boolean", short: "y" },
        interval: { type: "string" },
        once: { type: "boolean" },
        iterations: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw new UsageError("a command is required");
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command: ${command}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0] ?? ""}`);
  if ((command === "status" || command === "release") && (target === undefined || target === "")) {
    throw new UsageError(`${command} needs a resource name`);
  }
  if (command === "release" && values.force !== true) {
    throw new UsageError("release deletes a lock someone may hold: add --force to confirm");
  }
  const nodes = (values.nodes ?? env["REDLOCK_NODES"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (nodes.length === 0) throw new UsageError("no nodes: pass --nodes or set REDLOCK_NODES");
  const iterations =
    values.once === true ? 1 : positiveInteger(values.iterations, "iterations", Infinity);
  return {
    kind: "run",
    command: command as Command,
    target,
    nodes,
    json: values.json === true,
    timeout: positiveInteger(values.timeout, "timeout", 2_000),
    force: values.force === true,
    yes: values.yes === true,
    interval: positiveInteger(values.interval, "interval", 1_000),
    iterations,
  };
}
