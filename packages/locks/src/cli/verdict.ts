/**
 * What a quorum of nodes says about one lock: `held` by one owner on a quorum, `free` (no node
 * that answered holds it and too few are silent to hide a quorum), `split` (held, but no owner
 * has a quorum: an acquisition in progress, a lock expiring, or a stuck partial lock), or
 * `unknown` (too many nodes are silent to tell).
 */
export type Verdict =
  | { readonly state: "held"; readonly token: string; readonly holders: number }
  | { readonly state: "free" | "split" | "unknown" };

/**
 * @param tokens each node's token for the lock: a string, null where the node has none,
 *   undefined where the node did not answer.
 */
export function verdictOf(tokens: readonly (string | null | undefined)[], quorum: number): Verdict {
  const counts = new Map<string, number>();
  let silent = 0;
  for (const token of tokens) {
    if (token === undefined) silent++;
    else if (token !== null) counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  let owner: string | undefined;
  let most = 0;
  for (const [token, count] of counts) {
    if (count > most) {
      owner = token;
      most = count;
    }
  }
  if (owner !== undefined && most >= quorum) {
    return { state: "held", token: owner, holders: most };
  }
  if (most + silent >= quorum) return { state: "unknown" };
  return { state: counts.size === 0 ? "free" : "split" };
}

/**
 * How long a quorum still holds the lock, in ms: the quorum-th longest ttl among the owner's
 * nodes (after that, fewer than a quorum have it).
 */
export function quorumTtl(ttls: readonly number[], quorum: number): number | undefined {
  const sorted = ttls.slice().sort((a, b) => b - a);
  return sorted[quorum - 1];
}
