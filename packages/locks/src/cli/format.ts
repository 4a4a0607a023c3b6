import { lockIdOf } from "../redlock/events.js";
import type { NodeAnswer } from "./fan-out.js";
import type { HeldLock, LockStatus } from "./inspect.js";
import type { Verdict } from "./verdict.js";

/** A table: columns padded to their widest cell, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** ms for people: "850 ms", "9.8 s", "12.5 min"; -1 is a key without expiry. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || ms < -1) return "-";
  if (ms === -1) return "no expiry";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** The owner as shown anywhere: the first 8 characters of its token. */
function owner(verdict: Verdict): string | null {
  return verdict.state === "held" ? lockIdOf(verdict.token) : null;
}

function describeVerdict(
  verdict: Verdict,
  total: number,
  quorum: number,
  answered: number,
): string {
  switch (verdict.state) {
    case "held":
      return `held by ${lockIdOf(verdict.token)} on ${verdict.holders}/${total} nodes (quorum ${quorum})`;
    case "free":
      return "free: no owner on any node that answered";
    case "split":
      return `split: held, but no owner has a quorum of ${quorum}`;
    case "unknown":
      return `unknown: only ${answered}/${total} nodes answered (quorum ${quorum})`;
  }
}

function answered(nodes: readonly NodeAnswer<unknown>[]): number {
  return nodes.filter((n) => n.ok).length;
}

export function statusText(status: LockStatus): string {
  const { nodes, verdict, quorum } = status;
  const left = verdict.state === "held" ? `, ${duration(status.ttl)} left` : "";
  const head = `${status.resource}: ${describeVerdict(verdict, nodes.length, quorum, answered(nodes))}${left}`;
  const rows = nodes.map((n) =>
    n.ok
      ? [
          n.node,
          n.value.token === null ? "-" : lockIdOf(n.value.token),
          n.value.token === null ? "-" : duration(n.value.ttl),
          n.value.fence ?? "-",
          String(n.value.queued),
          String(n.value.waiters),
        ]
      : [n.node, "down", "-", "-", "-", "-"],
  );
  const header = ["NODE", "OWNER", "TTL", "FENCE", "QUEUED", "WAITERS"];
  return `${head}\n\n${table(header, rows)}${nodeErrors(nodes)}`;
}

/** A lock's name and verdict as JSON: the owner as its token prefix, never the whole token. */
function verdictJson(resource: string, verdict: Verdict) {
  return {
    resource,
    verdict: verdict.state,
    owner: owner(verdict),
    holders: verdict.state === "held" ? verdict.holders : 0,
  };
}

export function statusJson(status: LockStatus): unknown {
  return {
    ...verdictJson(status.resource, status.verdict),
    quorum: status.quorum,
    ttl: status.ttl ?? null,
    nodes: status.nodes.map((n) =>
      n.ok
        ? {
            node: n.node,
            ok: true,
            owner: n.value.token === null ? null : lockIdOf(n.value.token),
            ttl: n.value.token === null ? null : n.value.ttl,
            fence: n.value.fence,
            queued: n.value.queued,
            waiters: n.value.waiters,
          }
        : { node: n.node, ok: false, error: n.error },
    ),
  };
}

/** A held lock with what `watch` adds to it. */
export interface WatchedLock extends HeldLock {
  readonly waiters: number;
  readonly queued: number;
  /** Owner changes seen since the watch began. */
  readonly handovers: number;
}

function lockRow(lock: HeldLock, total: number): string[] {
  return [
    lock.resource,
    owner(lock.verdict) ?? lock.verdict.state,
    `${lock.verdict.state === "held" ? lock.verdict.holders : lock.present}/${total}`,
    duration(lock.ttl),
  ];
}

function nodeErrors(nodes: readonly NodeAnswer<unknown>[]): string {
  return nodes
    .filter((n): n is Extract<NodeAnswer<unknown>, { ok: false }> => !n.ok)
    .map((n) => `\n${n.node}: error: ${n.error}`)
    .join("");
}

/** The locks' table, then `others` (semaphores and read-write locks, already laid out). */
function withOthers(locks: string | undefined, others: string): string {
  if (locks === undefined) return others === "" ? "no locks held" : others;
  return others === "" ? locks : `${locks}\n\n${others}`;
}

export function listText(
  locks: readonly HeldLock[],
  nodes: readonly NodeAnswer<number>[],
  others = "",
): string {
  const body =
    locks.length === 0
      ? undefined
      : table(
          ["RESOURCE", "OWNER", "NODES", "TTL"],
          locks.map((l) => lockRow(l, nodes.length)),
        );
  return withOthers(body, others) + nodeErrors(nodes);
}

export function lockJson(lock: HeldLock): Record<string, unknown> {
  return {
    ...verdictJson(lock.resource, lock.verdict),
    present: lock.present,
    ttl: lock.ttl ?? null,
  };
}

export function listJson(
  locks: readonly HeldLock[],
  nodes: readonly NodeAnswer<number>[],
): unknown {
  return { nodes: nodesJson(nodes), locks: locks.map(lockJson) };
}

export function nodesJson(nodes: readonly NodeAnswer<number>[]): unknown[] {
  return nodes.map((n) =>
    n.ok ? { node: n.node, ok: true } : { node: n.node, ok: false, error: n.error },
  );
}

export function watchText(
  locks: readonly WatchedLock[],
  nodes: readonly NodeAnswer<number>[],
  at: Date,
  others = "",
): string {
  const up = answered(nodes);
  const waiting = locks.reduce((sum, l) => sum + l.waiters + l.queued, 0);
  const head =
    `quorum-locks watch · ${at.toISOString()} · nodes ${up}/${nodes.length} up · ` +
    `${locks.length} locks · ${waiting} waiting   (Ctrl-C to quit)`;
  const body = withOthers(
    locks.length === 0
      ? undefined
      : table(
          ["RESOURCE", "OWNER", "NODES", "TTL", "WAITERS", "QUEUED", "HANDOVERS"],
          locks.map((l) => [
            ...lockRow(l, nodes.length),
            String(l.waiters),
            String(l.queued),
            String(l.handovers),
          ]),
        ),
    others,
  );
  return `${head}\n\n${body}${nodeErrors(nodes)}`;
}
