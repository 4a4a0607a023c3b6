import { scripts } from "../scripts/index.js";
import type { QuorumContext } from "./context.js";
import { derivedKey, fairQueueKeys } from "./keys.js";
import { Round, Vote, type Votes } from "./round.js";

/**
 * The keys of a fenced script: the resource keys, then each resource's fence counter (a key
 * in the resource's hash slot that never expires).
 */
export function fencedKeys(resources: readonly string[]): string[] {
  return [...resources, ...fenceKeys(resources)];
}

/** Each resource's fence counter, in the same order. */
export function fenceKeys(resources: readonly string[]): string[] {
  return resources.map((resource) => derivedKey(resource, "fence"));
}

/**
 * The keys of fair-acquire: the resource key, its queue and leases, then, for a fenced lock, its
 * fence counter (the same counter as a plain fenced lock's: the two kinds may take turns on one
 * resource and their tokens still grow).
 */
export function fairKeys(resource: string, fencing: boolean): string[] {
  const keys = [resource, ...fairQueueKeys(resource)];
  if (fencing) keys.push(derivedKey(resource, "fence"));
  return keys;
}

/**
 * The fencing token of a granted fenced round: the largest token the granting nodes handed
 * back, and whether they all handed back that one (then no node of the quorum needs raising).
 */
export function largestFence(round: Round): { token: bigint; agreed: boolean } {
  let token = -1n;
  let agreed = true;
  const { votes, details } = round;
  for (let i = 0; i < votes.length; i++) {
    if (votes[i] !== Vote.Granted) continue;
    const value = BigInt(details?.[i] as string);
    if (token !== -1n && value !== token) agreed = false;
    if (value > token) token = value;
  }
  return { token, agreed };
}

/**
 * Raises the fence counters of the lock to `fence` wherever the acquisition may have set its
 * keys. Granted where the keys still hold `value`: the lock may be handed out with this fencing
 * token once a quorum granted. With `minReplicas`, a raise counts only once replicated, like the
 * grant it completes: a replica taking over with the lower counter could hand it out again.
 */
export function raiseFence(
  ctx: QuorumContext,
  resources: readonly string[],
  value: string,
  fence: bigint,
  holders: Votes,
  minReplicas: number,
): Promise<Round> {
  const args = scripts.fenceRaise.encode({
    resources,
    fences: fenceKeys(resources),
    token: value,
    fence,
  });
  return new Round(ctx, scripts.fenceRaise, args, scripts.fenceRaise.decode, {
    holders,
    skipUnresponsive: false,
    earlyFailure: true,
    minReplicas,
  }).done;
}
