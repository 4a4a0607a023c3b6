import { scripts } from "../../scripts/index.js";
import type { RwKeys } from "../../scripts/rw-keys.js";
import type { AcquireFlavour } from "../acquire.js";
import type { FlavourCall, LockFlavour } from "../lock.js";
import { rwChannel, rwFenceKey } from "./keys.js";

/** A read or write lease's flavour: its own scripts, always. */
export type LeaseFlavour = LockFlavour & Required<Pick<LockFlavour, "extend" | "release">>;

/** The scripts a read or write lease extends and releases with (see LockFlavour). */
export function leaseFlavour(name: string, keys: RwKeys, kind: "read" | "write"): LeaseFlavour {
  const channel = rwChannel(keys);
  return {
    kind,
    name,
    extend: ({ token, ttl, marker, quarantine }) => ({
      script: scripts.rwExtend,
      args: scripts.rwExtend.encode({ keys, token, ttl, kind, marker, quarantine }),
      decode: scripts.rwExtend.decode,
    }),
    // A released writer's intent is gone already where it was granted; elsewhere (nodes that
    // refused it then) it would keep readers out until its ttl: dropped too.
    release: (token) => releaseCall(keys, token, channel, true),
  };
}

function releaseCall(keys: RwKeys, token: string, channel: string, dropIntent: boolean) {
  const call: FlavourCall = {
    script: scripts.rwRelease,
    args: scripts.rwRelease.encode({ keys, token, channel, dropIntent }),
    decode: scripts.rwRelease.decode,
  };
  return call;
}

/** A reader's acquisition: rw-acquire-read, undone by rw-release. */
export function readFlavour(name: string, keys: RwKeys, ttl: number): AcquireFlavour {
  const { rwAcquireRead } = scripts;
  return {
    script: rwAcquireRead,
    decode: rwAcquireRead.decode,
    encode: (token, m) => rwAcquireRead.encode({ keys, token, ttl, ...m }),
    rollback: (token) => releaseCall(keys, token, "", false),
    notifyOn: [keys.writer],
    fenced: [keys.writer],
    lock: leaseFlavour(name, keys, "read"),
  };
}

/**
 * A writer's acquisition: rw-acquire-write, which also records the writer's intent where it is
 * refused. A failed attempt's rollback keeps the intent (the writer still waits); giving up
 * drops it and tells the readers it kept out.
 */
export function writeFlavour(
  name: string,
  keys: RwKeys,
  ttl: number,
  intentTtl: number,
  fencing: boolean,
): AcquireFlavour {
  const { rwAcquireWrite } = scripts;
  const fence = fencing ? rwFenceKey(keys) : undefined;
  return {
    script: rwAcquireWrite,
    decode: fencing ? rwAcquireWrite.decodeFenced : rwAcquireWrite.decode,
    encode: (token, m) => rwAcquireWrite.encode({ keys, fence, token, ttl, intentTtl, ...m }),
    rollback: (token) => releaseCall(keys, token, "", false),
    leave: (token) => releaseCall(keys, token, rwChannel(keys), true),
    notifyOn: [keys.writer],
    fenced: [keys.writer],
    lock: leaseFlavour(name, keys, "write"),
  };
}
