import { lockIdOf } from "../redlock/events.js";
import { derivedKey } from "../redlock/keys.js";
import { rwKeys } from "../redlock/read-write/keys.js";
import { semaphoreKeys } from "../redlock/semaphore/keys.js";
import type { NodeAnswer, Nodes, Send } from "./fan-out.js";
import { quorumTtl, verdictOf } from "./verdict.js";

// Semaphores and read-write locks, read with plain commands, as their scripts lay them out
// (redlock/semaphore/keys.ts, redlock/read-write/keys.ts): a semaphore is `limit` slot keys, each
// a quorum mutex holding the token of the permit that has it, plus a record of the limit; a
// read-write lock is a writer key (a token), a sorted set of readers (token -> expiry in the
// node's server time) and a waiting writer's intent (a token with a short ttl). Tokens are kept
// only to group what the nodes say; everything shown names the lockId (the first 8 characters).

/** A token and its ttl (ms) on one node. */
interface Held {
  readonly token: string;
  readonly ttl: number;
}

/** One node's view of one semaphore. */
export interface SemaphoreNodeState {
  /** The limit recorded on this node (null: no permit is held here). */
  readonly limit: number | null;
  /** Slot i (1-based) at index i-1: its holder, or null. */
  readonly slots: readonly (Held | null)[];
}

/** A permit: the slots a quorum gives to one token. */
export interface PermitHolder {
  readonly lockId: string;
  readonly slots: readonly number[];
  /** ms a quorum still holds all its slots. */
  readonly ttl: number | undefined;
}

/** Everything `status`, `list` and `watch` show about one semaphore. */
export interface SemaphoreStatus {
  readonly name: string;
  /** The largest limit any node records; null when no node holds a permit. */
  readonly limit: number | null;
  /** Slots held on a quorum (the permits in use). */
  readonly used: number;
  /** Slots held on some nodes but by no owner on a quorum (an acquisition or expiry under way). */
  readonly split: number;
  /** Slots nobody can tell about: too many nodes are silent. */
  readonly unknown: number;
  readonly holders: readonly PermitHolder[];
  readonly nodes: readonly NodeAnswer<SemaphoreNodeState>[];
}

/** One node's view of one read-write lock. */
export interface RwNodeState {
  readonly writer: Held | null;
  /** Readers whose lease has not ended on this node's clock. */
  readonly readers: readonly Held[];
  readonly intent: Held | null;
}

/** A reader, writer or waiting writer, as a quorum sees it. */
export interface RwHolder {
  readonly lockId: string;
  /** Nodes that have it. */
  readonly nodes: number;
  readonly ttl: number | undefined;
}

/** Everything `status`, `list` and `watch` show about one read-write lock. */
export interface RwStatus {
  readonly name: string;
  /** The writer when a quorum has one token as writer. */
  readonly writer: RwHolder | null;
  /** Readers present on a quorum. */
  readonly readers: readonly RwHolder[];
  /** A waiting writer's intent (present on any node: it stops new readers there). */
  readonly intent: RwHolder | null;
  readonly nodes: readonly NodeAnswer<RwNodeState>[];
}

async function heldAt(send: Send, key: string): Promise<Held | null> {
  const [token, ttl] = await Promise.all([send(["GET", key]), send(["PTTL", key])]);
  return typeof token === "string" && Number(ttl) !== -2 ? { token, ttl: Number(ttl) } : null;
}

/** Reads one semaphore on one node: its limit record, then each of its slots. */
async function readSemaphoreNode(send: Send, name: string): Promise<SemaphoreNodeState> {
  const recorded = await send(["GET", derivedKey(name, "limit")]);
  const limit = typeof recorded === "string" ? Number.parseInt(recorded, 10) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) return { limit: null, slots: [] };
  const slots = await Promise.all(semaphoreKeys(name, limit).slots.map((k) => heldAt(send, k)));
  return { limit, slots };
}

export async function readSemaphore(nodes: Nodes, name: string): Promise<SemaphoreStatus> {
  return semaphoreOf(name, nodes.quorum, await nodes.each((send) => readSemaphoreNode(send, name)));
}

function semaphoreOf(
  name: string,
  quorum: number,
  answers: readonly NodeAnswer<SemaphoreNodeState>[],
): SemaphoreStatus {
  let limit: number | null = null;
  for (const a of answers) {
    if (a.ok && a.value.limit !== null) limit = Math.max(limit ?? 0, a.value.limit);
  }
  const permits = new Map<string, { slots: number[]; ttls: number[][] }>();
  let used = 0;
  let split = 0;
  let unknown = 0;
  for (let i = 0; i < (limit ?? 0); i++) {
    // A node that answered without a record (or with a smaller limit) holds nothing there.
    const tokens = answers.map((a) => (a.ok ? (a.value.slots[i]?.token ?? null) : undefined));
    const verdict = verdictOf(tokens, quorum);
    if (verdict.state === "held") {
      used++;
      const ttls: number[] = [];
      for (const a of answers) {
        const slot = a.ok ? a.value.slots[i] : undefined;
        if (slot?.token === verdict.token) ttls.push(slot.ttl);
      }
      let permit = permits.get(verdict.token);
      if (permit === undefined) {
        permit = { slots: [], ttls: [] };
        permits.set(verdict.token, permit);
      }
      permit.slots.push(i + 1);
      permit.ttls.push(ttls);
    } else if (verdict.state === "split") split++;
    else if (verdict.state === "unknown") unknown++;
  }
  const holders = [...permits].map(([token, { slots, ttls }]): PermitHolder => {
    // A permit is valid while every one of its slots is: the shortest slot's quorum ttl.
    const each = ttls.map((t) => quorumTtl(t, quorum) ?? 0);
    return { lockId: lockIdOf(token), slots, ttl: Math.min(...each) };
  });
  return { name, limit, used, split, unknown, holders, nodes: answers };
}

/** Reads one read-write lock on one node; readers' expiries are on the node's own clock. */
async function readRwNode(send: Send, name: string): Promise<RwNodeState> {
  const keys = rwKeys(name);
  const [writer, intent, readers, time] = await Promise.all([
    heldAt(send, keys.writer),
    heldAt(send, keys.intent),
    send(["ZRANGE", keys.readers, "0", "-1", "WITHSCORES"]),
    send(["TIME"]),
  ]);
  const [seconds, micros] = Array.isArray(time) ? time.map(Number) : [0, 0];
  const now = (seconds ?? 0) * 1_000 + Math.floor((micros ?? 0) / 1_000);
  const live: Held[] = [];
  if (Array.isArray(readers)) {
    for (let i = 0; i + 1 < readers.length; i += 2) {
      const ttl = Number(readers[i + 1]) - now;
      // The scripts prune lapsed readers lazily: one past its expiry holds nothing.
      if (ttl > 0) live.push({ token: String(readers[i]), ttl });
    }
  }
  return { writer, readers: live, intent };
}

export async function readRw(nodes: Nodes, name: string): Promise<RwStatus> {
  return rwOf(name, nodes.quorum, await nodes.each((send) => readRwNode(send, name)));
}

/** Tokens present on how many nodes, with their ttls there. */
function tally(held: readonly (readonly Held[])[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const list of held) {
    for (const { token, ttl } of list) {
      const ttls = seen.get(token) ?? [];
      ttls.push(ttl);
      seen.set(token, ttls);
    }
  }
  return seen;
}

function rwOf(name: string, quorum: number, answers: readonly NodeAnswer<RwNodeState>[]): RwStatus {
  const up = answers.flatMap((a) => (a.ok ? [a.value] : []));
  const holder = (token: string, ttls: number[], needed: number): RwHolder => ({
    lockId: lockIdOf(token),
    nodes: ttls.length,
    ttl: quorumTtl(ttls, needed),
  });
  const writerVerdict = verdictOf(
    answers.map((a) => (a.ok ? (a.value.writer?.token ?? null) : undefined)),
    quorum,
  );
  const writers = tally(up.map((s) => (s.writer === null ? [] : [s.writer])));
  const writer =
    writerVerdict.state === "held"
      ? holder(writerVerdict.token, writers.get(writerVerdict.token) ?? [], quorum)
      : null;
  const readers = [...tally(up.map((s) => s.readers))]
    .filter(([, ttls]) => ttls.length >= quorum)
    .map(([token, ttls]) => holder(token, ttls, quorum))
    .sort((a, b) => (a.lockId < b.lockId ? -1 : a.lockId > b.lockId ? 1 : 0));
  // An intent matters on every node that has it (no new reader there): the most widespread one.
  let intent: RwHolder | null = null;
  for (const [token, ttls] of tally(up.map((s) => (s.intent === null ? [] : [s.intent])))) {
    if (intent === null || ttls.length > intent.nodes) intent = holder(token, ttls, 1);
  }
  return { name, writer, readers, intent, nodes: answers };
}

/** Whether a semaphore has anything to show. */
export function semaphoreInUse(s: SemaphoreStatus): boolean {
  return s.limit !== null;
}

/** Whether a read-write lock has anything to show. */
export function rwInUse(s: RwStatus): boolean {
  return s.nodes.some(
    (n) =>
      n.ok && (n.value.writer !== null || n.value.readers.length > 0 || n.value.intent !== null),
  );
}

// ---- Finding them in `list` and `watch` ----

const SLOT = /:slot:(\d+)$/;
const RW_SUFFIXES = ["rw-writer", "rw-readers", "rw-intent"] as const;

/**
 * The name whose derived key `key` is (derivedKey's inverse), or undefined. `{x}:s` is the
 * derived key of both `x` and `{x}`: it is shown as `x`, the usual spelling.
 */
function baseOf(key: string, suffix: string): string | undefined {
  if (!key.endsWith(`:${suffix}`)) return undefined;
  const base = key.slice(0, -suffix.length - 1);
  const inner = /^\{([^{}]+)\}$/.exec(base)?.[1];
  if (inner !== undefined && derivedKey(inner, suffix) === key) return inner;
  return derivedKey(base, suffix) === key ? base : undefined;
}

/** The semaphore or read-write lock a key belongs to, or undefined for any other key. */
export function primitiveOf(key: string): { kind: "semaphore" | "rw"; name: string } | undefined {
  const slot = SLOT.exec(key);
  if (slot !== null) {
    const name = baseOf(key, `slot:${slot[1]}`);
    if (name !== undefined) return { kind: "semaphore", name };
  }
  for (const suffix of RW_SUFFIXES) {
    const name = baseOf(key, suffix);
    if (name !== undefined) return { kind: "rw", name };
  }
  return undefined;
}

/** A Redis glob (`*`, `?`, `[...]`, `\x`) as a regular expression, to match names. */
export function globRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "\\" && i + 1 < pattern.length) source += escape(pattern[++i] as string);
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) source += "\\[";
      else {
        let body = pattern.slice(i + 1, close);
        const negate = body.startsWith("^");
        if (negate) body = body.slice(1);
        source += `[${negate ? "^" : ""}${body.replaceAll("\\", "\\\\").replaceAll("]", "\\]")}]`;
        i = close;
      }
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

async function scanAll(send: Send, pattern: string, into: Set<string>): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = (await send(["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"])) as [
      string,
      string[],
    ];
    cursor = next;
    for (const key of keys) into.add(key);
  } while (cursor !== "0");
}

/** Semaphores and read-write locks whose names match `pattern`, on any node. */
export interface Primitives {
  readonly semaphores: SemaphoreStatus[];
  readonly readWriteLocks: RwStatus[];
}

/**
 * Finds the semaphores and read-write locks whose names match `pattern` (their keys are
 * `{name}:...`, or `name:...` for a name with its own hash tag), then reads each on every node.
 * Only those with something held (or a waiting writer) are returned.
 */
export async function listPrimitives(nodes: Nodes, pattern: string): Promise<Primitives> {
  const matches = globRegExp(pattern);
  const found = await nodes.each(async (send) => {
    const keys = new Set<string>();
    await scanAll(send, `{${pattern}}:*`, keys);
    await scanAll(send, `${pattern}:*`, keys);
    return keys;
  });
  const semaphores = new Set<string>();
  const rw = new Set<string>();
  for (const answer of found) {
    if (!answer.ok) continue;
    for (const key of answer.value) {
      const primitive = primitiveOf(key);
      if (primitive === undefined || !matches.test(primitive.name)) continue;
      (primitive.kind === "semaphore" ? semaphores : rw).add(primitive.name);
    }
  }
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const [sems, rws] = await Promise.all([
    Promise.all([...semaphores].map((name) => readSemaphore(nodes, name))),
    Promise.all([...rw].map((name) => readRw(nodes, name))),
  ]);
  return {
    semaphores: sems.filter(semaphoreInUse).sort(byName),
    readWriteLocks: rws.filter(rwInUse).sort(byName),
  };
}
