import type { Marked, MarkerReading } from "./reply.js";

/**
 * What a script wrapped in marker-open/marker-close takes on top of its own KEYS and ARGV
 * (see marker-open.lua): the node's marker key last in KEYS, the quarantine's two entries
 * last in ARGV.
 */
export interface MarkerCall {
  /** The node's marker key (one per hash slot on a Redis Cluster). */
  readonly marker: string;
  /** [the largest ttl the client knows the nodes granted ("" when it knows all), quarantine ms]. */
  readonly quarantine: readonly [knownTtl: string, quarantineMs: string];
}

/**
 * Decodes a wrapped script's reply: the body's reply as it is, or, when the node's marker is
 * young or records a ttl above the client's, the table {body's reply, marker age in ms, largest
 * ttl recorded, marker id}, the marker then coming along with the body's decoded reply.
 */
export function decodeMarked<T extends object>(
  reply: unknown,
  decodeBody: (reply: unknown) => T,
): Marked<T> {
  if (!Array.isArray(reply) || reply.length !== 4) return decodeBody(reply);
  const [inner, age, recorded, id] = reply as unknown[];
  if (typeof age !== "number" || typeof recorded !== "number") return decodeBody(reply);
  const marker: MarkerReading = { age, recorded, id: typeof id === "string" ? id : String(id) };
  return { ...decodeBody(inner), marker };
}
