/**
 * The keys of one read-write lock, as its scripts take them (KEYS[1..3]): the writer's lease
 * (a string), the readers' leases (a sorted set of token -> expiry in server ms) and a waiting
 * writer's intent (a string with a short ttl). All in one hash slot.
 */
export interface RwKeys {
  readonly writer: string;
  readonly readers: string;
  readonly intent: string;
}
