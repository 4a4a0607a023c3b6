import { createInterface } from "node:readline/promises";
import { RELEASE_CHANNEL_PREFIX } from "../redlock/channels.js";
import { evalSource, scripts } from "../scripts/index.js";
import { ExitCode, UsageError } from "./args.js";
import type { Nodes } from "./fan-out.js";
import { statusJson, statusText, table } from "./format.js";
import { readStatus } from "./inspect.js";

/** What the forced release did on one node. */
type Outcome = "deleted" | "changed-meanwhile" | "not-held" | `error: ${string}`;

export interface ReleaseIo {
  readonly json: boolean;
  readonly yes: boolean;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Deletes a stuck lock: reads each node's holder, asks for confirmation (unless --yes), then on
 * each node deletes the key only if it still holds the token that was shown (the release script,
 * which also wakes waiters), so a lock that changed hands meanwhile is left alone. The fencing
 * counter is kept: it must only ever grow.
 */
export async function forceRelease(
  nodes: Nodes,
  resource: string,
  io: ReleaseIo,
): Promise<ExitCode> {
  const status = await readStatus(nodes, resource);
  const tokens = status.nodes.map((n) => (n.ok ? n.value.token : null));
  if (tokens.every((t) => t === null)) {
    const unreachable = status.nodes.some((n) => !n.ok);
    io.stderr.write(
      `${resource}: not held on any node${unreachable ? " that answered" : ""}; nothing to release\n`,
    );
    return unreachable ? ExitCode.Error : ExitCode.NotHeld;
  }
  if (!io.yes) {
    if (!io.stdin.isTTY) {
      throw new UsageError("release needs confirmation: run it in a terminal or add --yes");
    }
    io.stderr.write(`${statusText(status)}\n\n`);
    if (!(await confirm(io, `Delete ${resource} on every node that holds it? [y/N] `))) {
      io.stderr.write("Not released.\n");
      return ExitCode.Error;
    }
  }
  const answers = await nodes.each(async (send, i): Promise<Outcome> => {
    const token = tokens[i];
    if (token === null || token === undefined) return "not-held";
    const { release } = scripts;
    const call = release.encode({
      resources: [resource],
      token,
      channelPrefix: RELEASE_CHANNEL_PREFIX,
    });
    const deleted = await send(evalSource(release, call));
    return Number(deleted) > 0 ? "deleted" : "changed-meanwhile";
  });
  const outcomes = answers.map((a) => ({
    node: a.node,
    outcome: a.ok ? a.value : (`error: ${a.error}` as const),
  }));
  if (io.json) {
    io.stdout.write(
      `${JSON.stringify({ resource, before: statusJson(status), released: outcomes })}\n`,
    );
  } else {
    io.stdout.write(
      `${table(
        ["NODE", "RESULT"],
        outcomes.map((o) => [o.node, o.outcome]),
      )}\n`,
    );
  }
  const failed = outcomes.some((o, i) => tokens[i] !== null && o.outcome !== "deleted");
  return failed ? ExitCode.Error : ExitCode.Ok;
}

async function confirm(io: ReleaseIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
