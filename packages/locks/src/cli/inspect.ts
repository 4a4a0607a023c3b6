import { RELEASE_CHANNEL_PREFIX, releaseChannel } from "../redlock/channels.js";
import { derivedKey, fairQueueKeys } from "../redlock/keys.js";
import type { NodeAnswer, Nodes, Send } from "./fan-out.js";
import { primitiveOf } from "./primitives.js";
import { quorumTtl, type Verdict, verdictOf } from "./verdict.js";

/** One node's view of one lock. */
export interface NodeLockState {
  /** The holder's token (kept whole for a forced release; shown as its first 8 characters). */
  readonly token: string | null;
  /** ms left; -2 when the key does not exist, -1 when it never expires. */
  readonly ttl: number;
  /** The resource's fencing counter, when fencing is in use. */
  readonly fence: string | null;
  /** Entries in the resource's fair queue. */
  readonly queued: number;
  /** Processes subscribed to the resource's release channel (waiting for it). */
  readonly waiters: number;
}

/** Everything `status` shows about one resource. */
export interface LockStatus {
  readonly resource: string;
  readonly quorum: number;
  readonly verdict: Verdict;
  /** ms a quorum still holds it, when held. */
  readonly ttl: number | undefined;
  readonly nodes: readonly NodeAnswer<NodeLockState>[];
}

/** Reads one resource on every node. */
export async function readStatus(nodes: Nodes, resource: string): Promise<LockStatus> {
  const [queueKey] = fairQueueKeys(resource);
  const channel = releaseChannel(resource);
  const answers = await nodes.each(async (send) => {
    const [token, ttl, fence, queued, numsub] = await Promise.all([
      send(["GET", resource]),
      send(["PTTL", resource]),
      send(["GET", derivedKey(resource, "fence")]),
      send(["ZCARD", queueKey]),
      send(["PUBSUB", "NUMSUB", channel]),
    ]);
    return {
      token: typeof token === "string" ? token : null,
      ttl: Number(ttl),
      fence: typeof fence === "string" ? fence : null,
      queued: Number(queued),
      waiters: subscribersOf(numsub).get(channel) ?? 0,
    };
  });
  const verdict = verdictOf(
    answers.map((a) => (a.ok ? a.value.token : undefined)),
    nodes.quorum,
  );
  return {
    resource,
    quorum: nodes.quorum,
    verdict,
    ttl: heldTtl(answers, verdict, nodes.quorum),
    nodes: answers,
  };
}

/** One held lock in `list` and `watch`. */
export interface HeldLock {
  readonly resource: string;
  readonly verdict: Verdict;
  /** Nodes that hold the lock's key (any owner). */
  readonly present: number;
  readonly ttl: number | undefined;
}

/** Keys that share a lock's name space but are not locks: fencing counters and fair queues. */
const DERIVED_SUFFIXES = [":fence", ":fair-queue", ":fair-leases"];
/** Lock tokens are 128 random bits in hex; anything else (info records, counters) is not a lock. */
const TOKEN = /^[0-9a-f]{32}$/;

/**
 * Every lock key matching `pattern` on every node, merged. SCAN with TYPE string skips cache
 * entries (hashes) and fair queues (sorted sets); values that are not tokens (lock info records,
 * fencing counters) are skipped too.
 */
export async function listLocks(
  nodes: Nodes,
  pattern: string,
): Promise<{ locks: HeldLock[]; nodes: NodeAnswer<number>[] }> {
  const perNode = await nodes.each(async (send) => scanLocks(send, pattern));
  const byResource = new Map<string, { tokens: (string | null | undefined)[]; ttls: number[] }>();
  perNode.forEach((answer, i) => {
    if (!answer.ok) return;
    for (const [resource, { token, ttl }] of answer.value) {
      let entry = byResource.get(resource);
      if (entry === undefined) {
        entry = { tokens: perNode.map((a) => (a.ok ? null : undefined)), ttls: [] };
        byResource.set(resource, entry);
      }
      entry.tokens[i] = token;
      entry.ttls.push(ttl);
    }
  });
  const locks = [...byResource]
    .map(([resource, { tokens, ttls }]): HeldLock => {
      const verdict = verdictOf(tokens, nodes.quorum);
      const ttl = verdict.state === "held" ? quorumTtl(ttls, nodes.quorum) : undefined;
      return { resource, verdict, present: ttls.length, ttl };
    })
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  const counts = perNode.map((a): NodeAnswer<number> =>
    a.ok ? { node: a.node, ok: true, value: a.value.size } : a,
  );
  return { locks, nodes: counts };
}

async function scanLocks(
  send: Send,
  pattern: string,
): Promise<Map<string, { token: string; ttl: number }>> {
  const found = new Map<string, { token: string; ttl: number }>();
  let cursor = "0";
  do {
    const [next, keys] = (await send([
      "SCAN",
      cursor,
      "MATCH",
      pattern,
      "COUNT",
      "1000",
      "TYPE",
      "string",
    ])) as [string, string[]];
    cursor = next;
    // A semaphore's slots and a read-write lock's writer and intent hold tokens too: they are
    // shown as what they belong to (primitives.ts), not as locks.
    const candidates = keys.filter(
      (k) => !DERIVED_SUFFIXES.some((s) => k.endsWith(s)) && primitiveOf(k) === undefined,
    );
    const read = await Promise.all(
      candidates.map(async (key) => {
        const [token, ttl] = await Promise.all([send(["GET", key]), send(["PTTL", key])]);
        return { key, token, ttl: Number(ttl) };
      }),
    );
    for (const { key, token, ttl } of read) {
      if (typeof token === "string" && TOKEN.test(token) && ttl > 0) found.set(key, { token, ttl });
    }
  } while (cursor !== "0");
  return found;
}

/** Waiters and queue lengths of locks, node by node (the most any node reports). */
export async function readWaiters(
  nodes: Nodes,
  resources: readonly string[],
): Promise<Map<string, { waiters: number; queued: number }>> {
  const result = new Map(resources.map((r) => [r, { waiters: 0, queued: 0 }]));
  if (resources.length === 0) return result;
  const answers = await nodes.each(async (send) => {
    const channels = resources.map(releaseChannel);
    const [numsub, ...queues] = await Promise.all([
      send(["PUBSUB", "NUMSUB", ...channels]),
      ...resources.map((r) => send(["ZCARD", fairQueueKeys(r)[0]])),
    ]);
    return { subscribers: subscribersOf(numsub), queues: queues.map(Number) };
  });
  for (const answer of answers) {
    if (!answer.ok) continue;
    resources.forEach((resource, i) => {
      const entry = result.get(resource) as { waiters: number; queued: number };
      const waiters = answer.value.subscribers.get(RELEASE_CHANNEL_PREFIX + resource) ?? 0;
      entry.waiters = Math.max(entry.waiters, waiters);
      entry.queued = Math.max(entry.queued, answer.value.queues[i] ?? 0);
    });
  }
  return result;
}

/** PUBSUB NUMSUB's flat [channel, count, ...] reply as a map. */
function subscribersOf(reply: unknown): Map<string, number> {
  const map = new Map<string, number>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), Number(reply[i + 1]));
  return map;
}

function heldTtl(
  answers: readonly NodeAnswer<NodeLockState>[],
  verdict: Verdict,
  quorum: number,
): number | undefined {
  if (verdict.state !== "held") return undefined;
  const ttls: number[] = [];
  for (const a of answers) if (a.ok && a.value.token === verdict.token) ttls.push(a.value.ttl);
  return quorumTtl(ttls, quorum);
}
