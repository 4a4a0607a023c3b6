import { duration, table } from "./format.js";
import type { Primitives, RwHolder, RwStatus, SemaphoreStatus } from "./primitives.js";

// How semaphores and read-write locks are shown: by lockId (never a whole token) and ttl.

function holderCell(h: RwHolder): string {
  return `${h.lockId} (${duration(h.ttl)})`;
}

function permitsCell(s: SemaphoreStatus): string {
  return `${s.used}/${s.limit ?? "-"}`;
}

function holdersCell(s: SemaphoreStatus): string {
  const shown = s.holders.map((h) => `${h.lockId}[${h.slots.join(",")}] (${duration(h.ttl)})`);
  if (s.split > 0) shown.push(`${s.split} split`);
  if (s.unknown > 0) shown.push(`${s.unknown} unknown`);
  return shown.length === 0 ? "-" : shown.join(", ");
}

function readersCell(s: RwStatus): string {
  return s.readers.length === 0
    ? "0"
    : `${s.readers.length}: ${s.readers.map(holderCell).join(", ")}`;
}

function intentCell(s: RwStatus): string {
  return s.intent === null ? "-" : `${s.intent.lockId} on ${s.intent.nodes}/${s.nodes.length}`;
}

export function semaphoreStatusText(s: SemaphoreStatus): string {
  const head = `${s.name}: semaphore, ${permitsCell(s)} permits held on a quorum`;
  const holders =
    s.holders.length === 0
      ? ""
      : `\n\n${table(
          ["PERMIT", "SLOTS", "TTL"],
          s.holders.map((h) => [h.lockId, h.slots.join(","), duration(h.ttl)]),
        )}`;
  const rows = s.nodes.map((n) =>
    n.ok
      ? [
          n.node,
          n.value.limit === null ? "-" : String(n.value.limit),
          n.value.slots
            .map((slot, i) => (slot === null ? null : `${i + 1}:${slot.token.slice(0, 8)}`))
            .filter((c) => c !== null)
            .join(" ") || "-",
        ]
      : [n.node, "down", "-"],
  );
  return `${head}${holders}\n\n${table(["NODE", "LIMIT", "SLOTS"], rows)}`;
}

export function rwStatusText(s: RwStatus): string {
  const writer = s.writer === null ? "no writer" : `writer ${holderCell(s.writer)}`;
  const head = `${s.name}: read-write lock, ${writer}, readers ${readersCell(s)}, waiting writer ${intentCell(s)}`;
  const rows = s.nodes.map((n) =>
    n.ok
      ? [
          n.node,
          n.value.writer === null ? "-" : n.value.writer.token.slice(0, 8),
          String(n.value.readers.length),
          n.value.intent === null ? "-" : n.value.intent.token.slice(0, 8),
        ]
      : [n.node, "down", "-", "-"],
  );
  return `${head}\n\n${table(["NODE", "WRITER", "READERS", "INTENT"], rows)}`;
}

function holderJson(h: RwHolder | null) {
  return h === null ? null : { lockId: h.lockId, nodes: h.nodes, ttl: h.ttl ?? null };
}

export function semaphoreJson(s: SemaphoreStatus, withNodes = false): Record<string, unknown> {
  return {
    name: s.name,
    limit: s.limit,
    used: s.used,
    split: s.split,
    unknown: s.unknown,
    holders: s.holders.map((h) => ({ lockId: h.lockId, slots: h.slots, ttl: h.ttl ?? null })),
    ...(withNodes
      ? {
          nodes: s.nodes.map((n) =>
            n.ok
              ? {
                  node: n.node,
                  ok: true,
                  limit: n.value.limit,
                  slots: n.value.slots.map((slot) =>
                    slot === null ? null : { lockId: slot.token.slice(0, 8), ttl: slot.ttl },
                  ),
                }
              : { node: n.node, ok: false, error: n.error },
          ),
        }
      : {}),
  };
}

export function rwJson(s: RwStatus, withNodes = false): Record<string, unknown> {
  return {
    name: s.name,
    writer: holderJson(s.writer),
    readers: s.readers.map(holderJson),
    intent: holderJson(s.intent),
    ...(withNodes
      ? {
          nodes: s.nodes.map((n) =>
            n.ok
              ? {
                  node: n.node,
                  ok: true,
                  writer: n.value.writer?.token.slice(0, 8) ?? null,
                  readers: n.value.readers.length,
                  intent: n.value.intent?.token.slice(0, 8) ?? null,
                }
              : { node: n.node, ok: false, error: n.error },
          ),
        }
      : {}),
  };
}

export function primitivesJson(p: Primitives): Record<string, unknown> {
  return {
    semaphores: p.semaphores.map((s) => semaphoreJson(s)),
    readWriteLocks: p.readWriteLocks.map((s) => rwJson(s)),
  };
}

/** The tables `list` and `watch` add below the locks' (empty when there is nothing). */
export function primitivesText(p: Primitives): string {
  const parts: string[] = [];
  if (p.semaphores.length > 0) {
    parts.push(
      table(
        ["SEMAPHORE", "PERMITS", "HOLDERS"],
        p.semaphores.map((s) => [s.name, permitsCell(s), holdersCell(s)]),
      ),
    );
  }
  if (p.readWriteLocks.length > 0) {
    parts.push(
      table(
        ["READ-WRITE LOCK", "WRITER", "READERS", "WAITING WRITER"],
        p.readWriteLocks.map((s) => [
          s.name,
          s.writer === null ? "-" : holderCell(s.writer),
          readersCell(s),
          intentCell(s),
        ]),
      ),
    );
  }
  return parts.join("\n\n");
}

export function isEmpty(p: Primitives): boolean {
  return p.semaphores.length === 0 && p.readWriteLocks.length === 0;
}
