import {
  call,
  formatG,
  LuaError,
  type LuaFunction,
  LuaTable,
  type LuaValue,
  luaToString,
  luaType,
  parseNumber,
} from "./lua.js";

/**
 * The part of Lua's standard library a Redis script may use, as Redis' Lua 5.1 has it. A
 * function left out is nil in the script, and calling it fails loudly.
 */

function number(v: LuaValue, fn: string, position = 1): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? parseNumber(v) : undefined;
  if (n === undefined) {
    throw new LuaError(`bad argument #${position} to '${fn}' (number expected, got ${luaType(v)})`);
  }
  return n;
}

function text(v: LuaValue, fn: string, position = 1): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return luaToString(v);
  throw new LuaError(`bad argument #${position} to '${fn}' (string expected, got ${luaType(v)})`);
}

function table(v: LuaValue, fn: string): LuaTable {
  if (v instanceof LuaTable) return v;
  throw new LuaError(`bad argument #1 to '${fn}' (table expected, got ${luaType(v)})`);
}

function library(functions: Record<string, LuaFunction | number>): LuaTable {
  const t = new LuaTable();
  for (const [name, fn] of Object.entries(functions)) t.set(name, fn);
  return t;
}

/** Integer text of a double, as C's `%d` of the value Lua truncates it to. */
function integerText(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? "9223372036854775807" : "-9223372036854775808";
  return BigInt(Math.trunc(n)).toString();
}

const SPEC = /%([-+ #0]*)(\d*)(?:\.(\d*))?([diouxXeEfgGqsc%])/g;

/** string.format: the conversions of C's printf that Lua 5.1 passes through. */
function format(args: LuaValue[]): LuaValue[] {
  const [template, ...values] = args;
  let next = 0;
  const out = text(template, "format").replace(
    SPEC,
    (
      _match,
      flags: string,
      width: string,
      precisionText: string | undefined,
      conversion: string,
    ) => {
      if (conversion === "%") return "%";
      const position = next + 2;
      const value = values[next++];
      const precision = precisionText === undefined ? undefined : Number(precisionText || "0");
      let body: string;
      switch (conversion) {
        case "d":
        case "i":
        case "u":
          body = integerText(number(value, "format", position));
          break;
        case "o":
          body = BigInt(Math.trunc(number(value, "format", position))).toString(8);
          break;
        case "x":
        case "X": {
          const hex = BigInt.asUintN(
            64,
            BigInt(Math.trunc(number(value, "format", position))),
          ).toString(16);
          body = conversion === "X" ? hex.toUpperCase() : hex;
          break;
        }
        case "c":
          body = String.fromCharCode(number(value, "format", position));
          break;
        case "f":
          body = number(value, "format", position).toFixed(precision ?? 6);
          break;
        case "e":
        case "E": {
          const e = number(value, "format", position)
            .toExponential(precision ?? 6)
            .replace(/e([-+])(\d)$/, "e$10$2");
          body = conversion === "E" ? e.toUpperCase() : e;
          break;
        }
        case "g":
        case "G": {
          const g = formatG(number(value, "format", position), precision ?? 6, flags.includes("#"));
          body = conversion === "G" ? g.toUpperCase() : g;
          break;
        }
        case "q":
          body = `"${text(value, "format", position).replace(/[\\"\n\r\0]/g, (c) =>
            c === "\n" ? "\\\n" : c === "\r" ? "\\r" : c === "\0" ? "\\000" : `\\${c}`,
          )}"`;
          break;
        default: {
          const s = text(value, "format", position);
          body = precision === undefined ? s : s.slice(0, precision);
        }
      }
      if (flags.includes("+") && /^[0-9]/.test(body) && "dieEfgG".includes(conversion))
        body = `+${body}`;
      const w = Number(width || "0");
      if (body.length >= w) return body;
      if (flags.includes("-")) return body.padEnd(w);
      if (flags.includes("0") && "dieEfgGxXo".includes(conversion)) {
        const sign = /^[-+]/.test(body) ? body.charAt(0) : "";
        return sign + body.slice(sign.length).padStart(w - sign.length, "0");
      }
      return body.padStart(w);
    },
  );
  return [out];
}

/** Lua's string.sub indices: 1-based, negative from the end, clamped. */
function sub(args: LuaValue[]): LuaValue[] {
  const s = text(args[0], "sub");
  const len = s.length;
  let i = args[1] === undefined ? 1 : number(args[1], "sub", 2);
  let j = args[2] === undefined ? -1 : number(args[2], "sub", 3);
  if (i < 0) i = Math.max(len + i + 1, 1);
  else if (i === 0) i = 1;
  if (j < 0) j = len + j + 1;
  else if (j > len) j = len;
  return [i > j ? "" : s.slice(i - 1, j)];
}

function ipairsStep(args: LuaValue[]): LuaValue[] {
  const t = table(args[0], "ipairs");
  const i = number(args[1], "ipairs") + 1;
  const v = t.get(i);
  return v === undefined ? [undefined] : [i, v];
}

function next(args: LuaValue[]): LuaValue[] {
  const found = table(args[0], "next").next(args[1]);
  return found === undefined ? [undefined] : found;
}

/** Fresh globals for one script run: the base library, table, string and math. */
export function standardGlobals(): LuaTable {
  const g = new LuaTable();
  const base: Record<string, LuaFunction> = {
    tonumber: ([v, base]) => {
      if (base !== undefined && base !== 10) {
        const b = number(base, "tonumber", 2);
        const s = text(v, "tonumber").trim().toLowerCase();
        const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, b);
        if (s === "" || !new RegExp(`^[${digits}]+$`).test(s)) return [undefined];
        return [parseInt(s, b)];
      }
      if (typeof v === "number") return [v];
      return [typeof v === "string" ? parseNumber(v) : undefined];
    },
    tostring: ([v]) => [luaToString(v)],
    type: (args) => {
      if (args.length === 0) throw new LuaError("bad argument #1 to 'type' (value expected)");
      return [luaType(args[0])];
    },
    next,
    pairs: ([t]) => [next, table(t, "pairs"), undefined],
    ipairs: ([t]) => [ipairsStep, table(t, "ipairs"), 0],
    select: ([n, ...rest]) => {
      if (n === "#") return [rest.length];
      const i = number(n, "select");
      return i < 0 ? rest.slice(rest.length + i) : rest.slice(i - 1);
    },
    error: ([message]) => {
      throw new LuaError(message);
    },
    assert: (args) => {
      if (args[0] === undefined || args[0] === false) {
        throw new LuaError(args[1] ?? "assertion failed!");
      }
      return args;
    },
    pcall: ([fn, ...args]) => {
      try {
        return [true, ...call(fn, args)];
      } catch (error) {
        if (error instanceof LuaError) return [false, error.value];
        throw error;
      }
    },
    unpack: ([t, i, j]) => {
      const list = table(t, "unpack");
      const from = i === undefined ? 1 : number(i, "unpack", 2);
      const to = j === undefined ? list.length() : number(j, "unpack", 3);
      const out: LuaValue[] = [];
      for (let k = from; k <= to; k++) out.push(list.get(k));
      return out;
    },
  };
  for (const [name, fn] of Object.entries(base)) g.set(name, fn);
  g.set("_G", g);
  g.set(
    "table",
    library({
      insert: (args) => {
        const t = table(args[0], "insert");
        const n = t.length();
        if (args.length === 2) {
          t.set(n + 1, args[1]);
          return [];
        }
        const at = number(args[1], "insert", 2);
        for (let k = n; k >= at; k--) t.set(k + 1, t.get(k));
        t.set(at, args[2]);
        return [];
      },
      remove: ([tv, position]) => {
        const t = table(tv, "remove");
        const n = t.length();
        if (n === 0) return [undefined];
        const at = position === undefined ? n : number(position, "remove", 2);
        const removed = t.get(at);
        for (let k = at; k < n; k++) t.set(k, t.get(k + 1));
        t.set(n, undefined);
        return [removed];
      },
      concat: ([tv, separator, i, j]) => {
        const t = table(tv, "concat");
        const sep = separator === undefined ? "" : text(separator, "concat", 2);
        const from = i === undefined ? 1 : number(i, "concat", 3);
        const to = j === undefined ? t.length() : number(j, "concat", 4);
        const parts: string[] = [];
        for (let k = from; k <= to; k++) {
          const v = t.get(k);
          if (typeof v !== "string" && typeof v !== "number") {
            throw new LuaError(`invalid value (at index ${k}) in table for 'concat'`);
          }
          parts.push(text(v, "concat"));
        }
        return [parts.join(sep)];
      },
      getn: ([t]) => [table(t, "getn").length()],
    }),
  );
  g.set(
    "string",
    library({
      format,
      sub,
      len: ([s]) => [text(s, "len").length],
      rep: ([s, n]) => [text(s, "rep").repeat(Math.max(0, Math.floor(number(n, "rep", 2))))],
      upper: ([s]) => [text(s, "upper").toUpperCase()],
      lower: ([s]) => [text(s, "lower").toLowerCase()],
      byte: ([s, i]) => {
        const str = text(s, "byte");
        const at = i === undefined ? 1 : number(i, "byte", 2);
        const code = str.charCodeAt(at < 0 ? str.length + at : at - 1);
        return Number.isNaN(code) ? [] : [code];
      },
      char: (args) => [String.fromCharCode(...args.map((v, k) => number(v, "char", k + 1)))],
    }),
  );
  const numbers = (fn: string, args: LuaValue[]) => args.map((v, k) => number(v, fn, k + 1));
  g.set(
    "math",
    library({
      floor: ([v]) => [Math.floor(number(v, "floor"))],
      ceil: ([v]) => [Math.ceil(number(v, "ceil"))],
      abs: ([v]) => [Math.abs(number(v, "abs"))],
      sqrt: ([v]) => [Math.sqrt(number(v, "sqrt"))],
      pow: ([a, b]) => [Math.pow(number(a, "pow"), number(b, "pow", 2))],
      fmod: ([a, b]) => [number(a, "fmod") % number(b, "fmod", 2)],
      max: (args) => {
        if (args.length === 0)
          throw new LuaError("bad argument #1 to 'max' (number expected, got no value)");
        return [Math.max(...numbers("max", args))];
      },
      min: (args) => {
        if (args.length === 0)
          throw new LuaError("bad argument #1 to 'min' (number expected, got no value)");
        return [Math.min(...numbers("min", args))];
      },
      huge: Infinity,
    }),
  );
  return g;
}
