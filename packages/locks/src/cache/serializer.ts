/** Turns cached values into strings and back. The default is JSON. */
export interface Serializer {
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}

/** JSON: plain data round-trips; a Date comes back as its ISO string, a Map as `{}`. */
export const jsonSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text) as unknown,
};
