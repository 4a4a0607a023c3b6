/**
 * A small Lua 5.1 interpreter: enough of the language for the scripts a Redis server runs, so
 * that the fake server runs the library's own scripts, byte for byte, instead of a copy of
 * their meaning that could drift from them. Numbers are doubles, as in the Lua Redis embeds.
 * What it lacks (metatables, coroutines, goto, most of the string library) fails loudly with
 * a LuaError, never quietly.
 */

export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction;
/** A function callable from Lua: arguments in, results out (several, as in Lua). */
export type LuaFunction = (args: LuaValue[]) => LuaValue[];

/** A Lua table. Keys are compared as Lua does for strings and numbers (1 and 1.0 are one key). */
export class LuaTable {
  readonly #entries = new Map<LuaValue, LuaValue>();
  get(key: LuaValue): LuaValue {
    return this.#entries.get(key);
  }
  set(key: LuaValue, value: LuaValue): void {
    if (key === undefined) throw new LuaError("table index is nil");
    if (value === undefined) this.#entries.delete(key);
    else this.#entries.set(key, value);
  }
  /** The border `#t`: the count of 1, 2, ... that are set. */
  length(): number {
    let n = 0;
    while (this.#entries.get(n + 1) !== undefined) n++;
    return n;
  }
  /** The key after `key` in iteration order (undefined: the end), as next() does. */
  next(key: LuaValue): [LuaValue, LuaValue] | undefined {
    const keys = [...this.#entries.keys()];
    const at = key === undefined ? 0 : keys.indexOf(key) + 1;
    const found = keys[at];
    return found === undefined ? undefined : [found, this.#entries.get(found)];
  }
  static of(values: readonly LuaValue[]): LuaTable {
    const table = new LuaTable();
    values.forEach((v, i) => {
      table.set(i + 1, v);
    });
    return table;
  }
}

/** A Lua error: `value` is what error() was given (a message, or a table). */
export class LuaError extends Error {
  readonly value: LuaValue;
  constructor(value: LuaValue) {
    super(typeof value === "string" ? value : luaToString(value));
    this.name = "LuaError";
    this.value = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Values

export function luaType(v: LuaValue): string {
  if (v === undefined) return "nil";
  if (typeof v === "function") return "function";
  if (v instanceof LuaTable) return "table";
  return typeof v;
}

const truthy = (v: LuaValue): boolean => v !== undefined && v !== false;

/** C's `%.<p>g`, which Lua uses to turn numbers into text (p = 14). */
export function formatG(n: number, p: number, alt = false): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const precision = Math.max(p, 1);
  const [mantissa = "", exponentText = "0"] = n.toExponential(precision - 1).split("e");
  const exponent = Number(exponentText);
  const strip = (s: string) => (alt || !s.includes(".") ? s : s.replace(/\.?0+$/, ""));
  if (exponent < -4 || exponent >= precision) {
    const sign = exponent < 0 ? "-" : "+";
    return `${strip(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return strip(n.toFixed(precision - 1 - exponent));
}

export function luaToString(v: LuaValue): string {
  if (typeof v === "number") return formatG(v, 14);
  if (typeof v === "string") return v;
  if (v === undefined) return "nil";
  if (typeof v === "boolean") return v ? "true" : "false";
  return `${luaType(v)}: 0x${(identity(v) * 16).toString(16).padStart(8, "0")}`;
}

const identities = new WeakMap<object, number>();
let lastIdentity = 0;
function identity(v: object): number {
  let id = identities.get(v);
  if (id === undefined) {
    id = ++lastIdentity;
    identities.set(v, id);
  }
  return id;
}

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const HEX = /^([-+]?)0[xX]([0-9a-fA-F]+)$/;

/** tonumber() of a string: decimal or hex, spaces around allowed; undefined when not a number. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s);
  const hex = HEX.exec(s);
  if (hex) return (hex[1] === "-" ? -1 : 1) * parseInt(hex[2] ?? "", 16);
  return undefined;
}

function arith(v: LuaValue, op: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const n = parseNumber(v);
    if (n !== undefined) return n;
  }
  throw new LuaError(`attempt to perform arithmetic on a ${luaType(v)} value (${op})`);
}

function concatPart(v: LuaValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return luaToString(v);
  throw new LuaError(`attempt to concatenate a ${luaType(v)} value`);
}

function lessThan(a: LuaValue, b: LuaValue, orEqual: boolean): boolean {
  if (
    (typeof a === "number" && typeof b === "number") ||
    (typeof a === "string" && typeof b === "string")
  ) {
    return orEqual ? a <= b : a < b;
  }
  throw new LuaError(`attempt to compare ${luaType(a)} with ${luaType(b)}`);
}

function binary(op: string, a: LuaValue, b: LuaValue): LuaValue {
  switch (op) {
    case "+":
      return arith(a, op) + arith(b, op);
    case "-":
      return arith(a, op) - arith(b, op);
    case "*":
      return arith(a, op) * arith(b, op);
    case "/":
      return arith(a, op) / arith(b, op);
    case "%": {
      const x = arith(a, op);
      const y = arith(b, op);
      return x - Math.floor(x / y) * y;
    }
    case "^":
      return Math.pow(arith(a, op), arith(b, op));
    case "..":
      return concatPart(a) + concatPart(b);
    case "==":
      return a === b;
    case "~=":
      return a !== b;
    case "<":
      return lessThan(a, b, false);
    case "<=":
      return lessThan(a, b, true);
    case ">":
      return lessThan(b, a, false);
    case ">=":
      return lessThan(b, a, true);
    default:
      throw new LuaError(`unknown operator ${op}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | {
      readonly kind: "name" | "keyword" | "op" | "eof";
      readonly text: string;
      readonly line: number;
    }
  | {
      readonly kind: "number";
      readonly text: string;
      readonly value: number;
      readonly line: number;
    }
  | {
      readonly kind: "string";
      readonly text: string;
      readonly value: string;
      readonly line: number;
    };

const KEYWORDS = new Set(
  "and break do else elseif end false for function if in local nil not or repeat return then true until while".split(
    " ",
  ),
);
const OPERATORS = ["...", "..", "==", "~=", "<=", ">=", ..."+-*/%^#<>=(){}[];:,.".split("")];
const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  "\n": "\n",
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new LuaError(`line ${line}: ${message}`);
  };
  /** `[[...]]` or `[==[...]==]` at i, if any: its text, and moves past it. */
  const longBracket = (): string | undefined => {
    const open = /^\[(=*)\[/.exec(source.slice(i, i + 64));
    if (!open) return undefined;
    const close = `]${open[1] ?? ""}]`;
    const end = source.indexOf(close, i + open[0].length);
    if (end < 0) fail("unfinished long string or comment");
    let text = source.slice(i + open[0].length, end);
    line += text.split("\n").length - 1;
    if (text.startsWith("\n")) text = text.slice(1);
    i = end + close.length;
    return text;
  };
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (source.startsWith("--", i)) {
      i += 2;
      if (longBracket() === undefined) {
        const end = source.indexOf("\n", i);
        i = end < 0 ? source.length : end;
      }
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 256))?.[0] ?? c;
      tokens.push({ kind: KEYWORDS.has(name) ? "keyword" : "name", text: name, line });
      i += name.length;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source.charAt(i + 1)))) {
      const text =
        /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(
          source.slice(i, i + 64),
        )?.[0] ?? c;
      const value = parseNumber(text);
      if (value === undefined) fail(`malformed number ${text}`);
      tokens.push({ kind: "number", text, value: value ?? 0, line });
      i += text.length;
    } else if (c === '"' || c === "'") {
      let value = "";
      i++;
      for (;;) {
        const ch = source.charAt(i);
        if (ch === "" || ch === "\n") fail("unfinished string");
        i++;
        if (ch === c) break;
        if (ch !== "\\") {
          value += ch;
          continue;
        }
        const e = source.charAt(i);
        const digits = /^[0-9]{1,3}/.exec(source.slice(i, i + 3))?.[0];
        if (digits !== undefined) {
          value += String.fromCharCode(Number(digits));
          i += digits.length;
        } else if (ESCAPES[e] !== undefined) {
          value += ESCAPES[e];
          i++;
        } else {
          fail(`invalid escape \\${e}`);
        }
      }
      tokens.push({ kind: "string", text: value, value, line });
    } else if (c === "[" && /^\[=*\[/.test(source.slice(i, i + 64))) {
      const value = longBracket() ?? "";
      tokens.push({ kind: "string", text: value, value, line });
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op === undefined) fail(`unexpected symbol ${c}`);
      tokens.push({ kind: "op", text: op ?? c, line });
      i += (op ?? c).length;
    }
  }
  tokens.push({ kind: "eof", text: "<eof>", line });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Expr =
  | { readonly k: "const"; readonly value: LuaValue }
  | { readonly k: "vararg" }
  | { readonly k: "name"; readonly name: string }
  | { readonly k: "index"; readonly object: Expr; readonly key: Expr }
  | {
      readonly k: "call";
      readonly fn: Expr;
      readonly args: readonly Expr[];
      readonly method?: string;
      readonly line: number;
    }
  | { readonly k: "function"; readonly fn: FunctionBody }
  | { readonly k: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly k: "and" | "or"; readonly left: Expr; readonly right: Expr }
  | { readonly k: "unary"; readonly op: string; readonly operand: Expr }
  | { readonly k: "paren"; readonly inner: Expr }
  | {
      readonly k: "table";
      readonly items: readonly (
        | { readonly key: Expr; readonly value: Expr }
        | { readonly key?: undefined; readonly value: Expr }
      )[];
    };

interface FunctionBody {
  readonly params: readonly string[];
  readonly vararg: boolean;
  readonly body: Block;
}

type Block = readonly Stat[];

type Stat =
  | { readonly k: "local"; readonly names: readonly string[]; readonly values: readonly Expr[] }
  | { readonly k: "localFunction"; readonly name: string; readonly fn: FunctionBody }
  | { readonly k: "assign"; readonly targets: readonly Expr[]; readonly values: readonly Expr[] }
  | { readonly k: "call"; readonly call: Expr }
  | { readonly k: "do"; readonly body: Block }
  | { readonly k: "while"; readonly cond: Expr; readonly body: Block }
  | { readonly k: "repeat"; readonly body: Block; readonly cond: Expr }
  | {
      readonly k: "if";
      readonly branches: readonly { readonly cond: Expr; readonly body: Block }[];
      readonly otherwise: Block | undefined;
    }
  | {
      readonly k: "numericFor";
      readonly name: string;
      readonly start: Expr;
      readonly limit: Expr;
      readonly step: Expr | undefined;
      readonly body: Block;
    }
  | {
      readonly k: "genericFor";
      readonly names: readonly string[];
      readonly values: readonly Expr[];
      readonly body: Block;
    }
  | { readonly k: "return"; readonly values: readonly Expr[] }
  | { readonly k: "break" };

/** Binary operators: [left priority, right priority], as in Lua 5.1's parser. */
const PRIORITY: Readonly<Record<string, readonly [number, number]>> = {
  or: [1, 1],
  and: [2, 2],
  "<": [3, 3],
  ">": [3, 3],
  "<=": [3, 3],
  ">=": [3, 3],
  "~=": [3, 3],
  "==": [3, 3],
  "..": [5, 4],
  "+": [6, 6],
  "-": [6, 6],
  "*": [7, 7],
  "/": [7, 7],
  "%": [7, 7],
  "^": [10, 9],
};
const UNARY_PRIORITY = 8;

class Parser {
  readonly #tokens: Token[];
  #at = 0;
  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get #token(): Token {
    return (
      this.#tokens[this.#at] ??
      this.#tokens[this.#tokens.length - 1] ?? { kind: "eof", text: "<eof>", line: 0 }
    );
  }
  #is(text: string): boolean {
    const t = this.#token;
    return (t.kind === "op" || t.kind === "keyword") && t.text === text;
  }
  #accept(text: string): boolean {
    if (!this.#is(text)) return false;
    this.#at++;
    return true;
  }
  #expect(text: string): void {
    if (!this.#accept(text)) this.#fail(`'${text}' expected near '${this.#token.text}'`);
  }
  #fail(message: string): never {
    throw new LuaError(`line ${this.#token.line}: ${message}`);
  }
  #name(): string {
    const t = this.#token;
    if (t.kind !== "name") this.#fail(`name expected near '${t.text}'`);
    this.#at++;
    return t.text;
  }

  chunk(): Block {
    const block = this.#block();
    if (this.#token.kind !== "eof") this.#fail(`'<eof>' expected near '${this.#token.text}'`);
    return block;
  }

  #block(): Block {
    const stats: Stat[] = [];
    for (;;) {
      const t = this.#token;
      if (
        t.kind === "eof" ||
        (t.kind === "keyword" && ["end", "else", "elseif", "until"].includes(t.text))
      ) {
        return stats;
      }
      if (this.#accept(";")) continue;
      if (this.#accept("return")) {
        const values = this.#blockEnds() || this.#is(";") ? [] : this.#exprList();
        this.#accept(";");
        stats.push({ k: "return", values });
        if (!this.#blockEnds()) this.#fail(`'end' expected near '${this.#token.text}'`);
        return stats;
      }
      stats.push(this.#statement());
    }
  }

  #blockEnds(): boolean {
    const t = this.#token;
    return (
      t.kind === "eof" ||
      (t.kind === "keyword" && ["end", "else", "elseif", "until"].includes(t.text))
    );
  }

  #statement(): Stat {
    if (this.#accept("if")) {
      const branches: { cond: Expr; body: Block }[] = [];
      let otherwise: Block | undefined;
      do {
        const cond = this.#expr();
        this.#expect("then");
        branches.push({ cond, body: this.#block() });
      } while (this.#accept("elseif"));
      if (this.#accept("else")) otherwise = this.#block();
      this.#expect("end");
      return { k: "if", branches, otherwise };
    }
    if (this.#accept("while")) {
      const cond = this.#expr();
      this.#expect("do");
      const body = this.#block();
      this.#expect("end");
      return { k: "while", cond, body };
    }
    if (this.#accept("do")) {
      const body = this.#block();
      this.#expect("end");
      return { k: "do", body };
    }
    if (this.#accept("repeat")) {
      const body = this.#block();
      this.#expect("until");
      return { k: "repeat", body, cond: this.#expr() };
    }
    if (this.#accept("for")) {
      const first = this.#name();
      if (this.#accept("=")) {
        const start = this.#expr();
        this.#expect(",");
        const limit = this.#expr();
        const step = this.#accept(",") ? this.#expr() : undefined;
        this.#expect("do");
        const body = this.#block();
        this.#expect("end");
        return { k: "numericFor", name: first, start, limit, step, body };
      }
      const names = [first];
      while (this.#accept(",")) names.push(this.#name());
      this.#expect("in");
      const values = this.#exprList();
      this.#expect("do");
      const body = this.#block();
      this.#expect("end");
      return { k: "genericFor", names, values, body };
    }
    if (this.#accept("function")) {
      let target: Expr = { k: "name", name: this.#name() };
      let method: string | undefined;
      while (this.#is(".") || this.#is(":")) {
        const colon = this.#accept(":");
        if (!colon) this.#expect(".");
        const key = this.#name();
        if (colon) {
          method = key;
          break;
        }
        target = { k: "index", object: target, key: { k: "const", value: key } };
      }
      if (method !== undefined) {
        const fn = this.#functionBody(["self"]);
        return {
          k: "assign",
          targets: [{ k: "index", object: target, key: { k: "const", value: method } }],
          values: [{ k: "function", fn }],
        };
      }
      return {
        k: "assign",
        targets: [target],
        values: [{ k: "function", fn: this.#functionBody() }],
      };
    }
    if (this.#accept("local")) {
      if (this.#accept("function")) {
        const name = this.#name();
        return { k: "localFunction", name, fn: this.#functionBody() };
      }
      const names = [this.#name()];
      while (this.#accept(",")) names.push(this.#name());
      const values = this.#accept("=") ? this.#exprList() : [];
      return { k: "local", names, values };
    }
    if (this.#accept("break")) return { k: "break" };
    const first = this.#suffixed();
    if (this.#is("=") || this.#is(",")) {
      const targets = [first];
      while (this.#accept(",")) targets.push(this.#suffixed());
      this.#expect("=");
      for (const t of targets) {
        if (t.k !== "name" && t.k !== "index") this.#fail("syntax error: cannot assign to this");
      }
      return { k: "assign", targets, values: this.#exprList() };
    }
    if (first.k !== "call") this.#fail(`syntax error near '${this.#token.text}'`);
    return { k: "call", call: first };
  }

  #functionBody(leading: readonly string[] = []): FunctionBody {
    this.#expect("(");
    const params = [...leading];
    let vararg = false;
    if (!this.#is(")")) {
      do {
        if (this.#accept("...")) {
          vararg = true;
          break;
        }
        params.push(this.#name());
      } while (this.#accept(","));
    }
    this.#expect(")");
    const body = this.#block();
    this.#expect("end");
    return { params, vararg, body };
  }

  #exprList(): Expr[] {
    const list = [this.#expr()];
    while (this.#accept(",")) list.push(this.#expr());
    return list;
  }

  #expr(limit = 0): Expr {
    let left: Expr;
    const t = this.#token;
    if (
      (t.kind === "keyword" && t.text === "not") ||
      (t.kind === "op" && (t.text === "-" || t.text === "#"))
    ) {
      this.#at++;
      left = { k: "unary", op: t.text, operand: this.#expr(UNARY_PRIORITY) };
    } else {
      left = this.#simple();
    }
    for (;;) {
      const op = this.#token;
      const priority = op.kind === "op" || op.kind === "keyword" ? PRIORITY[op.text] : undefined;
      if (priority === undefined || priority[0] <= limit) return left;
      this.#at++;
      const right = this.#expr(priority[1]);
      left =
        op.text === "and" || op.text === "or"
          ? { k: op.text, left, right }
          : { k: "binary", op: op.text, left, right };
    }
  }

  #simple(): Expr {
    const t = this.#token;
    if (t.kind === "number" || t.kind === "string") {
      this.#at++;
      return { k: "const", value: t.value };
    }
    if (this.#accept("nil")) return { k: "const", value: undefined };
    if (this.#accept("true")) return { k: "const", value: true };
    if (this.#accept("false")) return { k: "const", value: false };
    if (this.#accept("...")) return { k: "vararg" };
    if (this.#accept("function")) return { k: "function", fn: this.#functionBody() };
    if (this.#is("{")) return this.#table();
    return this.#suffixed();
  }

  #table(): Expr {
    this.#expect("{");
    const items: ({ key: Expr; value: Expr } | { value: Expr })[] = [];
    while (!this.#is("}")) {
      if (this.#accept("[")) {
        const key = this.#expr();
        this.#expect("]");
        this.#expect("=");
        items.push({ key, value: this.#expr() });
      } else if (this.#token.kind === "name" && this.#tokens[this.#at + 1]?.text === "=") {
        const key: Expr = { k: "const", value: this.#name() };
        this.#expect("=");
        items.push({ key, value: this.#expr() });
      } else {
        items.push({ value: this.#expr() });
      }
      if (!this.#accept(",") && !this.#accept(";")) break;
    }
    this.#expect("}");
    return { k: "table", items };
  }

  #suffixed(): Expr {
    let e: Expr;
    if (this.#accept("(")) {
      e = { k: "paren", inner: this.#expr() };
      this.#expect(")");
    } else {
      e = { k: "name", name: this.#name() };
    }
    for (;;) {
      const line = this.#token.line;
      if (this.#accept(".")) {
        e = { k: "index", object: e, key: { k: "const", value: this.#name() } };
      } else if (this.#accept("[")) {
        e = { k: "index", object: e, key: this.#expr() };
        this.#expect("]");
      } else if (this.#accept(":")) {
        const method = this.#name();
        e = { k: "call", fn: e, method, args: this.#callArgs(), line };
      } else if (this.#is("(") || this.#is("{") || this.#token.kind === "string") {
        e = { k: "call", fn: e, args: this.#callArgs(), line };
      } else {
        return e;
      }
    }
  }

  #callArgs(): Expr[] {
    const t = this.#token;
    if (t.kind === "string") {
      this.#at++;
      return [{ k: "const", value: t.value }];
    }
    if (this.#is("{")) return [this.#table()];
    this.#expect("(");
    const args = this.#is(")") ? [] : this.#exprList();
    this.#expect(")");
    return args;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

class Scope {
  readonly #vars = new Map<string, { value: LuaValue }>();
  readonly #parent: Scope | undefined;
  readonly #globals: LuaTable;
  readonly varargs: LuaValue[];
  constructor(parent: Scope | undefined, globals: LuaTable, varargs?: LuaValue[]) {
    this.#parent = parent;
    this.#globals = globals;
    this.varargs = varargs ?? parent?.varargs ?? [];
  }
  declare(name: string, value: LuaValue): void {
    this.#vars.set(name, { value });
  }
  #find(name: string): { value: LuaValue } | undefined {
    const own = this.#vars.get(name);
    if (own !== undefined || this.#parent === undefined) return own;
    return this.#parent.#find(name);
  }
  get(name: string): LuaValue {
    const slot = this.#find(name);
    return slot === undefined ? this.#globals.get(name) : slot.value;
  }
  set(name: string, value: LuaValue): void {
    const slot = this.#find(name);
    if (slot === undefined) this.#globals.set(name, value);
    else slot.value = value;
  }
  get globals(): LuaTable {
    return this.#globals;
  }
}

const BREAK = Symbol("break");
type Flow = undefined | typeof BREAK | { readonly values: LuaValue[] };

function index(object: LuaValue, key: LuaValue, stringLibrary: LuaValue): LuaValue {
  if (object instanceof LuaTable) return object.get(key);
  if (typeof object === "string" && stringLibrary instanceof LuaTable)
    return stringLibrary.get(key);
  throw new LuaError(`attempt to index a ${luaType(object)} value`);
}

export function call(fn: LuaValue, args: LuaValue[], what = ""): LuaValue[] {
  if (typeof fn !== "function") {
    throw new LuaError(`attempt to call a ${luaType(fn)} value${what === "" ? "" : ` ${what}`}`);
  }
  return fn(args);
}

function describe(e: Expr): string {
  if (e.k === "name") return `(global '${e.name}')`;
  if (e.k === "index" && e.key.k === "const" && typeof e.key.value === "string") {
    return `(field '${e.key.value}')`;
  }
  return "";
}

function evalMulti(e: Expr, scope: Scope): LuaValue[] {
  if (e.k === "vararg") return scope.varargs;
  if (e.k === "call") {
    let fn: LuaValue;
    const args: LuaValue[] = [];
    if (e.method !== undefined) {
      const self = evalExpr(e.fn, scope);
      fn = index(self, e.method, scope.globals.get("string"));
      args.push(self);
    } else {
      fn = evalExpr(e.fn, scope);
    }
    args.push(...evalList(e.args, scope));
    return call(fn, args, e.method === undefined ? describe(e.fn) : `(method '${e.method}')`);
  }
  return [evalExpr(e, scope)];
}

/** Every expression's value; the last one's values all (as a call or `...` gives them). */
function evalList(list: readonly Expr[], scope: Scope): LuaValue[] {
  const values: LuaValue[] = [];
  list.forEach((e, i) => {
    if (i === list.length - 1) values.push(...evalMulti(e, scope));
    else values.push(evalExpr(e, scope));
  });
  return values;
}

function evalExpr(e: Expr, scope: Scope): LuaValue {
  switch (e.k) {
    case "const":
      return e.value;
    case "name":
      return scope.get(e.name);
    case "index":
      return index(evalExpr(e.object, scope), evalExpr(e.key, scope), scope.globals.get("string"));
    case "call":
    case "vararg":
      return evalMulti(e, scope)[0];
    case "paren":
      return evalExpr(e.inner, scope);
    case "function":
      return makeFunction(e.fn, scope);
    case "and": {
      const left = evalExpr(e.left, scope);
      return truthy(left) ? evalExpr(e.right, scope) : left;
    }
    case "or": {
      const left = evalExpr(e.left, scope);
      return truthy(left) ? left : evalExpr(e.right, scope);
    }
    case "binary":
      return binary(e.op, evalExpr(e.left, scope), evalExpr(e.right, scope));
    case "unary": {
      const v = evalExpr(e.operand, scope);
      if (e.op === "not") return !truthy(v);
      if (e.op === "-") return -arith(v, "unm");
      if (typeof v === "string") return v.length;
      if (v instanceof LuaTable) return v.length();
      throw new LuaError(`attempt to get length of a ${luaType(v)} value`);
    }
    case "table": {
      const table = new LuaTable();
      let n = 1;
      e.items.forEach((item, i) => {
        if (item.key !== undefined) {
          table.set(evalExpr(item.key, scope), evalExpr(item.value, scope));
        } else if (i === e.items.length - 1) {
          for (const v of evalMulti(item.value, scope)) table.set(n++, v);
        } else {
          table.set(n++, evalExpr(item.value, scope));
        }
      });
      return table;
    }
  }
}

function makeFunction(fn: FunctionBody, closure: Scope): LuaFunction {
  return (args) => {
    const scope = new Scope(
      closure,
      closure.globals,
      fn.vararg ? args.slice(fn.params.length) : [],
    );
    fn.params.forEach((name, i) => {
      scope.declare(name, args[i]);
    });
    const flow = execBlock(fn.body, scope);
    return typeof flow === "object" ? flow.values : [];
  };
}

function forNumber(v: LuaValue, what: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? parseNumber(v) : undefined;
  if (n === undefined) throw new LuaError(`'for' ${what} must be a number`);
  return n;
}

function execBlock(block: Block, parent: Scope): Flow {
  const scope = new Scope(parent, parent.globals);
  for (const stat of block) {
    const flow = exec(stat, scope);
    if (flow !== undefined) return flow;
  }
  return undefined;
}

function exec(s: Stat, scope: Scope): Flow {
  switch (s.k) {
    case "local": {
      const values = evalList(s.values, scope);
      s.names.forEach((name, i) => {
        scope.declare(name, values[i]);
      });
      return undefined;
    }
    case "localFunction":
      scope.declare(s.name, undefined);
      scope.set(s.name, makeFunction(s.fn, scope));
      return undefined;
    case "assign": {
      const targets = s.targets.map((t) =>
        t.k === "index" ? { object: evalExpr(t.object, scope), key: evalExpr(t.key, scope) } : t,
      );
      const values = evalList(s.values, scope);
      targets.forEach((t, i) => {
        if ("k" in t) {
          if (t.k === "name") scope.set(t.name, values[i]);
        } else if (t.object instanceof LuaTable) {
          t.object.set(t.key, values[i]);
        } else {
          throw new LuaError(`attempt to index a ${luaType(t.object)} value`);
        }
      });
      return undefined;
    }
    case "call":
      evalMulti(s.call, scope);
      return undefined;
    case "do":
      return execBlock(s.body, scope);
    case "while":
      while (truthy(evalExpr(s.cond, scope))) {
        const flow = execBlock(s.body, scope);
        if (flow === BREAK) break;
        if (flow !== undefined) return flow;
      }
      return undefined;
    case "repeat":
      for (;;) {
        const inner = new Scope(scope, scope.globals);
        let flow: Flow;
        for (const stat of s.body) {
          flow = exec(stat, inner);
          if (flow !== undefined) break;
        }
        if (flow === BREAK) break;
        if (flow !== undefined) return flow;
        if (truthy(evalExpr(s.cond, inner))) break;
      }
      return undefined;
    case "if":
      for (const branch of s.branches) {
        if (truthy(evalExpr(branch.cond, scope))) return execBlock(branch.body, scope);
      }
      return s.otherwise === undefined ? undefined : execBlock(s.otherwise, scope);
    case "numericFor": {
      const start = forNumber(evalExpr(s.start, scope), "initial value");
      const limit = forNumber(evalExpr(s.limit, scope), "limit");
      const step = s.step === undefined ? 1 : forNumber(evalExpr(s.step, scope), "step");
      for (let i = start; step > 0 ? i <= limit : i >= limit; i += step) {
        const inner = new Scope(scope, scope.globals);
        inner.declare(s.name, i);
        const flow = execBlock(s.body, inner);
        if (flow === BREAK) break;
        if (flow !== undefined) return flow;
      }
      return undefined;
    }
    case "genericFor": {
      const [fn, state, first] = evalList(s.values, scope);
      let control = first;
      for (;;) {
        const values = call(fn, [state, control], "(for iterator)");
        if (values[0] === undefined) break;
        control = values[0];
        const inner = new Scope(scope, scope.globals);
        s.names.forEach((name, i) => {
          inner.declare(name, values[i]);
        });
        const flow = execBlock(s.body, inner);
        if (flow === BREAK) break;
        if (flow !== undefined) return flow;
      }
      return undefined;
    }
    case "return":
      return { values: evalList(s.values, scope) };
    case "break":
      return BREAK;
  }
}

/** A parsed chunk, ready to run any number of times with fresh globals. */
export interface LuaChunk {
  run(globals: LuaTable): LuaValue[];
}

export function compile(source: string): LuaChunk {
  const body = new Parser(tokenize(source)).chunk();
  return {
    run(globals) {
      const flow = execBlock(body, new Scope(undefined, globals));
      return typeof flow === "object" ? flow.values : [];
    },
  };
}
