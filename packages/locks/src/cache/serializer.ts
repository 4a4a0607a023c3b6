/** Turns cached values into strings and back. The default is JSON. */
export interface Serializer {
  /** The stored form of `value`. */
  serialize(value: unknown): string;
  /** The value back from its stored form. */
  deserialize(text: string): unknown;
}

/** JSON: plain data round-trips; a Date comes back as its ISO string, a Map as `{}`. */
export const jsonSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text) as unknown,
};
