import { createHash, randomBytes } from "node:crypto";
import { compile, type LuaChunk, LuaError, LuaTable, type LuaValue, luaToString } from "./lua.js";
import { standardGlobals } from "./lua-library.js";

/**
 * One fake Redis server process in memory: a keyspace of strings, hashes and sorted sets with
 * millisecond expiry on an injected clock, the script cache, and EVAL/EVALSHA running scripts
 * through the Lua interpreter. Only the commands the library (and a test inspecting what it
 * left) uses are known; any other is refused as a real server refuses an unknown command.
 */

/** A status reply ("+OK"), told apart from a bulk string only inside scripts. */
export class Status {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** An error reply; its message starts with the error code, as a server's does (NOSCRIPT ...). */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplyError";
  }
}

export type Reply = null | number | string | Status | readonly Reply[];

type Entry =
  | { kind: "string"; value: string; expiresAt?: number | undefined }
  | { kind: "hash"; value: Map<string, string>; expiresAt?: number | undefined }
  | { kind: "zset"; value: Map<string, number>; expiresAt?: number | undefined };

const OK = new Status("OK");
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

/** Parsed scripts, by source: the library sends the same few scripts over and over. */
const compiled = new Map<string, LuaChunk>();

function integer(text: string | undefined): number {
  if (text === undefined || !/^-?\d+$/.test(text)) {
    throw new ReplyError("ERR value is not an integer or out of range");
  }
  return Number(text);
}

function score(text: string | undefined): number {
  const t = (text ?? "").toLowerCase();
  if (t === "inf" || t === "+inf") return Infinity;
  if (t === "-inf") return -Infinity;
  const n = Number(t);
  if (t === "" || Number.isNaN(n)) throw new ReplyError("ERR value is not a valid float");
  return n;
}

/** A min or max of ZRANGEBYSCORE: a score, "(" for exclusive. */
function bound(text: string | undefined): { value: number; exclusive: boolean } {
  const exclusive = text?.startsWith("(") ?? false;
  return { value: score(exclusive ? text?.slice(1) : text), exclusive };
}

function scoreText(n: number): string {
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  return String(n);
}

function glob(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "\\" && i + 1 < pattern.length) source += `\\${pattern.charAt(++i)}`;
    else source += c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

function syntax(): never {
  throw new ReplyError("ERR syntax error");
}

function arity(name: string, args: readonly string[], min: number): void {
  if (args.length < min) {
    throw new ReplyError(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
  }
}

/** What a server process needs from the node it runs on. */
export interface ServerHost {
  /** The fake clock, epoch ms. */
  now(): number;
  /** Delivers a message to the node's subscribers; returns how many will hear it. */
  publish(channel: string, message: string): number;
  /** How many subscribers each channel has (channels with none left out). */
  subscriptions(): ReadonlyMap<string, number>;
}

export class FakeServer {
  readonly runId = randomBytes(20).toString("hex");
  readonly #host: ServerHost;
  readonly #startedAt: number;
  readonly #data = new Map<string, Entry>();
  readonly #scripts = new Map<string, string>();
  /** The time of the command being run: one instant for a whole script, as on a server. */
  #now = 0;

  constructor(host: ServerHost) {
    this.#host = host;
    this.#startedAt = host.now();
  }

  /** Runs one command; throws ReplyError for an error reply. */
  execute(args: readonly string[]): Reply {
    this.#now = this.#host.now();
    return this.#command(args, false);
  }

  #entry(key: string): Entry | undefined {
    const entry = this.#data.get(key);
    if (entry?.expiresAt !== undefined && this.#now >= entry.expiresAt) {
      this.#data.delete(key);
      return undefined;
    }
    return entry;
  }

  #string(key: string): string | null {
    const entry = this.#entry(key);
    if (entry === undefined) return null;
    if (entry.kind !== "string") throw new ReplyError(WRONGTYPE);
    return entry.value;
  }

  #hash(key: string, create: true): Map<string, string>;
  #hash(key: string, create: false): Map<string, string> | undefined;
  #hash(key: string, create: boolean): Map<string, string> | undefined {
    const entry = this.#entry(key);
    if (entry === undefined) {
      if (!create) return undefined;
      const value = new Map<string, string>();
      this.#data.set(key, { kind: "hash", value });
      return value;
    }
    if (entry.kind !== "hash") throw new ReplyError(WRONGTYPE);
    return entry.value;
  }

  #zset(key: string, create: true): Map<string, number>;
  #zset(key: string, create: false): Map<string, number> | undefined;
  #zset(key: string, create: boolean): Map<string, number> | undefined {
    const entry = this.#entry(key);
    if (entry === undefined) {
      if (!create) return undefined;
      const value = new Map<string, number>();
      this.#data.set(key, { kind: "zset", value });
      return value;
    }
    if (entry.kind !== "zset") throw new ReplyError(WRONGTYPE);
    return entry.value;
  }

  /** An emptied hash or sorted set no longer exists, as on a server. */
  #dropIfEmpty(key: string, value: Map<string, unknown>): void {
    if (value.size === 0) this.#data.delete(key);
  }

  #sorted(key: string): [string, number][] {
    const zset = this.#zset(key, false);
    if (zset === undefined) return [];
    return [...zset].sort(([a, x], [b, y]) => (x === y ? (a < b ? -1 : a > b ? 1 : 0) : x - y));
  }

  #expire(key: string, ms: number): number {
    const entry = this.#entry(key);
    if (entry === undefined) return 0;
    if (ms <= 0) this.#data.delete(key);
    else entry.expiresAt = this.#now + ms;
    return 1;
  }

  #pttl(key: string): number {
    const entry = this.#entry(key);
    if (entry === undefined) return -2;
    if (entry.expiresAt === undefined) return -1;
    return Math.ceil(entry.expiresAt - this.#now);
  }

  #set(args: readonly string[]): Reply {
    const [, key = "", value = ""] = args;
    let nx = false;
    let xx = false;
    let keepTtl = false;
    let get = false;
    let expiresAt: number | undefined;
    for (let i = 3; i < args.length; i++) {
      const option = (args[i] ?? "").toUpperCase();
      if (option === "NX") nx = true;
      else if (option === "XX") xx = true;
      else if (option === "KEEPTTL") keepTtl = true;
      else if (option === "GET") get = true;
      else if (option === "PX" || option === "EX" || option === "PXAT" || option === "EXAT") {
        const n = integer(args[++i]);
        if (n <= 0) throw new ReplyError("ERR invalid expire time in 'set' command");
        const ms = option.startsWith("E") ? n * 1_000 : n;
        expiresAt = option.endsWith("AT") ? ms : this.#now + ms;
      } else {
        syntax();
      }
    }
    if (nx && xx) syntax();
    const previous = this.#entry(key);
    if (get && previous !== undefined && previous.kind !== "string")
      throw new ReplyError(WRONGTYPE);
    const old = previous?.kind === "string" ? previous.value : null;
    if ((nx && previous !== undefined) || (xx && previous === undefined)) return get ? old : null;
    this.#data.set(key, {
      kind: "string",
      value,
      expiresAt: keepTtl ? previous?.expiresAt : expiresAt,
    });
    return get ? old : OK;
  }

  #info(): string {
    const uptime = Math.max(0, Math.floor((this.#host.now() - this.#startedAt) / 1_000));
    return [
      "# Server",
      "redis_version:7.2.0",
      "redis_mode:standalone",
      "process_id:1",
      `run_id:${this.runId}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86_400)}`,
      "",
    ].join("\r\n");
  }

  #command(args: readonly string[], inScript: boolean): Reply {
    const name = (args[0] ?? "").toUpperCase();
    const key = args[1] ?? "";
    switch (name) {
      case "PING":
        return args.length > 1 ? key : new Status("PONG");
      case "ECHO":
        arity(name, args, 2);
        return key;
      case "TIME": {
        const micros = Math.floor(this.#now * 1_000);
        return [String(Math.floor(micros / 1e6)), String(micros % 1e6)];
      }
      case "INFO":
        return this.#info();
      case "WAIT":
        // No replicas behind a fake server: none acknowledges.
        arity(name, args, 3);
        return 0;
      case "DBSIZE":
        return [...this.#data.keys()].filter((k) => this.#entry(k) !== undefined).length;
      case "FLUSHALL":
      case "FLUSHDB":
        this.#data.clear();
        return OK;
      case "GET":
        arity(name, args, 2);
        return this.#string(key);
      case "SET":
        arity(name, args, 3);
        return this.#set(args);
      case "DEL":
      case "UNLINK":
        arity(name, args, 2);
        return args.slice(1).filter((k) => this.#entry(k) !== undefined && this.#data.delete(k))
          .length;
      case "EXISTS":
        arity(name, args, 2);
        return args.slice(1).filter((k) => this.#entry(k) !== undefined).length;
      case "TYPE":
        arity(name, args, 2);
        return new Status(this.#entry(key)?.kind ?? "none");
      case "PEXPIRE":
      case "EXPIRE": {
        arity(name, args, 3);
        const n = integer(args[2]);
        return this.#expire(key, name === "EXPIRE" ? n * 1_000 : n);
      }
      case "PERSIST": {
        const entry = this.#entry(key);
        if (entry?.expiresAt === undefined) return 0;
        entry.expiresAt = undefined;
        return 1;
      }
      case "PTTL":
        arity(name, args, 2);
        return this.#pttl(key);
      case "TTL": {
        arity(name, args, 2);
        const ms = this.#pttl(key);
        return ms < 0 ? ms : Math.round(ms / 1_000);
      }
      case "HGET":
        arity(name, args, 3);
        return this.#hash(key, false)?.get(args[2] ?? "") ?? null;
      case "HMGET": {
        arity(name, args, 3);
        const hash = this.#hash(key, false);
        return args.slice(2).map((field) => hash?.get(field) ?? null);
      }
      case "HSET":
      case "HMSET": {
        if (args.length < 4 || args.length % 2 !== 0) arity(name, [], 1);
        const hash = this.#hash(key, true);
        let added = 0;
        for (let i = 2; i < args.length; i += 2) {
          const field = args[i] ?? "";
          if (!hash.has(field)) added++;
          hash.set(field, args[i + 1] ?? "");
        }
        return name === "HMSET" ? OK : added;
      }
      case "HDEL": {
        arity(name, args, 3);
        const hash = this.#hash(key, false);
        if (hash === undefined) return 0;
        const removed = args.slice(2).filter((field) => hash.delete(field)).length;
        this.#dropIfEmpty(key, hash);
        return removed;
      }
      case "HEXISTS":
        arity(name, args, 3);
        return this.#hash(key, false)?.has(args[2] ?? "") === true ? 1 : 0;
      case "HLEN":
        return this.#hash(key, false)?.size ?? 0;
      case "HGETALL":
        return [...(this.#hash(key, false) ?? new Map<string, string>())].flat();
      case "ZADD": {
        arity(name, args, 4);
        let i = 2;
        const flags = new Set<string>();
        while (["NX", "XX", "CH", "GT", "LT"].includes((args[i] ?? "").toUpperCase())) {
          flags.add((args[i++] ?? "").toUpperCase());
        }
        if ((args.length - i) % 2 !== 0 || args.length === i) syntax();
        const pairs: [number, string][] = [];
        for (; i < args.length; i += 2) pairs.push([score(args[i]), args[i + 1] ?? ""]);
        const zset = this.#zset(key, true);
        let added = 0;
        let changed = 0;
        for (const [s, member] of pairs) {
          const current = zset.get(member);
          if (current === undefined ? flags.has("XX") : flags.has("NX")) continue;
          if (current !== undefined && flags.has("GT") && s <= current) continue;
          if (current !== undefined && flags.has("LT") && s >= current) continue;
          if (current === undefined) added++;
          else if (current !== s) changed++;
          zset.set(member, s);
        }
        this.#dropIfEmpty(key, zset);
        return flags.has("CH") ? added + changed : added;
      }
      case "ZREM": {
        arity(name, args, 3);
        const zset = this.#zset(key, false);
        if (zset === undefined) return 0;
        const removed = args.slice(2).filter((member) => zset.delete(member)).length;
        this.#dropIfEmpty(key, zset);
        return removed;
      }
      case "ZSCORE": {
        arity(name, args, 3);
        const s = this.#zset(key, false)?.get(args[2] ?? "");
        return s === undefined ? null : scoreText(s);
      }
      case "ZCARD":
        return this.#zset(key, false)?.size ?? 0;
      case "ZRANGE": {
        arity(name, args, 4);
        const all = this.#sorted(key);
        const withScores = (args[4] ?? "").toUpperCase() === "WITHSCORES";
        if (args.length > (withScores ? 5 : 4)) syntax();
        let start = integer(args[2]);
        let stop = integer(args[3]);
        if (start < 0) start = Math.max(all.length + start, 0);
        if (stop < 0) stop = all.length + stop;
        const slice = all.slice(start, stop + 1);
        return withScores ? slice.flatMap(([m, s]) => [m, scoreText(s)]) : slice.map(([m]) => m);
      }
      case "ZRANGEBYSCORE": {
        arity(name, args, 4);
        const min = bound(args[2]);
        const max = bound(args[3]);
        let withScores = false;
        let offset = 0;
        let count = Infinity;
        for (let i = 4; i < args.length; i++) {
          const option = (args[i] ?? "").toUpperCase();
          if (option === "WITHSCORES") withScores = true;
          else if (option === "LIMIT") {
            offset = integer(args[++i]);
            const c = integer(args[++i]);
            count = c < 0 ? Infinity : c;
          } else syntax();
        }
        const inRange = this.#sorted(key).filter(
          ([, s]) =>
            (min.exclusive ? s > min.value : s >= min.value) &&
            (max.exclusive ? s < max.value : s <= max.value),
        );
        const slice = inRange.slice(offset, offset + count);
        return withScores ? slice.flatMap(([m, s]) => [m, scoreText(s)]) : slice.map(([m]) => m);
      }
      case "PUBLISH":
        arity(name, args, 3);
        return this.#host.publish(key, args[2] ?? "");
      case "PUBSUB": {
        const sub = key.toUpperCase();
        const subscriptions = this.#host.subscriptions();
        if (sub === "CHANNELS") {
          const pattern = glob(args[2] ?? "*");
          return [...subscriptions.keys()].filter((c) => pattern.test(c));
        }
        if (sub === "NUMSUB") return args.slice(2).flatMap((c) => [c, subscriptions.get(c) ?? 0]);
        if (sub === "NUMPAT") return 0;
        throw new ReplyError(`ERR unknown subcommand '${key}'`);
      }
      case "KEYS": {
        arity(name, args, 2);
        const pattern = glob(key);
        return [...this.#data.keys()].filter(
          (k) => this.#entry(k) !== undefined && pattern.test(k),
        );
      }
      case "SCAN": {
        // One pass returns every key: cursor 0 in, cursor 0 out.
        let pattern = /[\s\S]*/;
        for (let i = 2; i < args.length; i++) {
          const option = (args[i] ?? "").toUpperCase();
          if (option === "MATCH") pattern = glob(args[++i] ?? "*");
          else if (option === "COUNT" || option === "TYPE") i++;
          else syntax();
        }
        const keys = [...this.#data.keys()].filter(
          (k) => this.#entry(k) !== undefined && pattern.test(k),
        );
        return ["0", keys];
      }
      case "SCRIPT":
        if (inScript) break;
        return this.#scriptCommand(args);
      case "EVAL":
      case "EVAL_RO":
      case "EVALSHA":
      case "EVALSHA_RO": {
        if (inScript) break;
        arity(name, args, 3);
        let source: string | undefined = key;
        if (name.startsWith("EVALSHA")) {
          source = this.#scripts.get(key.toLowerCase());
          if (source === undefined)
            throw new ReplyError("NOSCRIPT No matching script. Please use EVAL.");
        } else {
          this.#scripts.set(sha1(source), source);
        }
        const numKeys = integer(args[2]);
        if (numKeys < 0 || numKeys > args.length - 3) {
          throw new ReplyError("ERR Number of keys can't be greater than number of args");
        }
        return this.#runScript(source, args.slice(3, 3 + numKeys), args.slice(3 + numKeys));
      }
      default:
        break;
    }
    if (inScript) {
      throw new ReplyError("ERR This Redis command is not allowed from script");
    }
    throw new ReplyError(
      `ERR unknown command '${args[0] ?? ""}' (the fake Redis of quorum-locks/testing does not emulate it)`,
    );
  }

  #scriptCommand(args: readonly string[]): Reply {
    const sub = (args[1] ?? "").toUpperCase();
    if (sub === "LOAD") {
      const source = args[2] ?? "";
      compiledChunk(source);
      const sha = sha1(source);
      this.#scripts.set(sha, source);
      return sha;
    }
    if (sub === "EXISTS")
      return args.slice(2).map((sha) => (this.#scripts.has(sha.toLowerCase()) ? 1 : 0));
    if (sub === "FLUSH") {
      this.#scripts.clear();
      return OK;
    }
    throw new ReplyError(`ERR unknown subcommand '${args[1] ?? ""}'`);
  }

  #runScript(source: string, keys: readonly string[], argv: readonly string[]): Reply {
    const chunk = compiledChunk(source);
    const globals = standardGlobals();
    globals.set("KEYS", LuaTable.of(keys));
    globals.set("ARGV", LuaTable.of(argv));
    globals.set("redis", this.#redisLibrary());
    try {
      return toReply(chunk.run(globals)[0]);
    } catch (error) {
      if (error instanceof ReplyError) throw error;
      if (error instanceof LuaError) {
        const value = error.value;
        const err = value instanceof LuaTable ? value.get("err") : undefined;
        throw new ReplyError(
          typeof err === "string" ? err : `ERR user_script: Error running script: ${error.message}`,
        );
      }
      throw error;
    }
  }

  #redisLibrary(): LuaTable {
    const redis = new LuaTable();
    const run = (values: LuaValue[]): Reply => {
      const args = values.map((v) => {
        if (typeof v === "string") return v;
        if (typeof v === "number") return numberArgument(v);
        throw new LuaError("Lua redis lib command arguments must be strings or integers");
      });
      if (args.length === 0)
        throw new LuaError("Please specify at least one argument for this redis lib call");
      return this.#command(args, true);
    };
    redis.set("call", (values) => {
      try {
        return [toLua(run(values))];
      } catch (error) {
        if (error instanceof ReplyError) throw new LuaError(errorTable(error.message));
        throw error;
      }
    });
    redis.set("pcall", (values) => {
      try {
        return [toLua(run(values))];
      } catch (error) {
        if (error instanceof ReplyError) return [errorTable(error.message)];
        throw error;
      }
    });
    redis.set("error_reply", ([message]) => [errorTable(luaToString(message))]);
    redis.set("status_reply", ([message]) => {
      const t = new LuaTable();
      t.set("ok", luaToString(message));
      return [t];
    });
    redis.set("sha1hex", ([text]) => [sha1(luaToString(text))]);
    redis.set("log", () => []);
    for (const [level, n] of [
      ["LOG_DEBUG", 0],
      ["LOG_VERBOSE", 1],
      ["LOG_NOTICE", 2],
      ["LOG_WARNING", 3],
    ] as const) {
      redis.set(level, n);
    }
    return redis;
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function compiledChunk(source: string): LuaChunk {
  let chunk = compiled.get(source);
  if (chunk === undefined) {
    try {
      chunk = compile(source);
    } catch (error) {
      if (error instanceof LuaError) {
        throw new ReplyError(`ERR Error compiling script (new function): ${error.message}`);
      }
      throw error;
    }
    compiled.set(source, chunk);
  }
  return chunk;
}

/** A number argument of redis.call, as the server's Lua turns it into text. */
function numberArgument(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e17) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return n
    .toPrecision(17)
    .replace(/(\.\d*?)0+(e|$)/, "$1$2")
    .replace(/\.(e|$)/, "$1");
}

function errorTable(message: string): LuaTable {
  const t = new LuaTable();
  t.set("err", message);
  return t;
}

/** A reply as a script sees it (Redis' RESP2-to-Lua conversion). */
function toLua(reply: Reply): LuaValue {
  if (reply === null) return false;
  if (reply instanceof Status) {
    const t = new LuaTable();
    t.set("ok", reply.text);
    return t;
  }
  if (Array.isArray(reply)) return LuaTable.of(reply.map(toLua));
  return reply as number | string;
}

/** A script's return value as a reply (Redis' Lua-to-RESP2 conversion). */
function toReply(value: LuaValue): Reply {
  if (value === undefined || value === false) return null;
  if (value === true) return 1;
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "string") return value;
  if (value instanceof LuaTable) {
    const err = value.get("err");
    if (typeof err === "string") throw new ReplyError(err);
    const ok = value.get("ok");
    if (typeof ok === "string") return new Status(ok);
    const items: Reply[] = [];
    for (let i = 1; ; i++) {
      const item = value.get(i);
      if (item === undefined) break;
      items.push(toReply(item));
    }
    return items;
  }
  return null;
}
