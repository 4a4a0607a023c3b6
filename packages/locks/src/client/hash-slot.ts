// CRC16-CCITT (XModem: polynomial 0x1021, initial value 0), as the Redis Cluster specification
// defines it for key hash slots; one table lookup per byte.
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes)
    crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
  return crc;
}

const encoder = new TextEncoder();

/**
 * The Redis Cluster hash slot (0-16383) of `key`: only the hash tag is hashed when the key has
 * one (the text between the first `{` and the next `}`, if not empty), else the whole key.
 */
export function hashSlot(key: string): number {
  const bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return crc16(bytes) % 16384;
}
