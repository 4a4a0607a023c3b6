// TC39 standard decorators: TypeScript 5's default (no experimentalDecorators in this tsconfig).
import { describe, expect, test } from "vitest";
import {
  cacheStampedeProtect,
  distributedLock,
  LockConfigError,
  type LockManager,
} from "../../src/index.js";
import { type DecoratedOrders, decoratorSuite } from "../fixtures/decorated.js";

function makeOrders(manager: () => LockManager): DecoratedOrders {
  let active = new Map<number, number>();
  let peak = 0;
  class Orders implements DecoratedOrders {
    readonly label = "orders";
    quoteRuns = 0;

    @distributedLock("critical_operation:{0}", { timeout: 5_000, manager })
    async critical(userId: number, data: { id: string }): Promise<string> {
      const held = await manager().isLocked(`critical_operation:${userId}`);
      return `${this.label}:${userId}:${data.id}:${held ? "held" : "free"}`;
    }

    @distributedLock((userId: number) => `export:${userId}`, { manager, timeout: 10_000 })
    async exportFor(userId: number): Promise<number> {
      const now = (active.get(userId) ?? 0) + 1;
      active.set(userId, now);
      peak = Math.max(peak, now);
      await new Promise((r) => setImmediate(r));
      active.set(userId, now - 1);
      return peak;
    }

    @cacheStampedeProtect("expensive_query:{0}", { ttl: 60_000, staleTtl: 300_000, manager })
    async quote(symbol: string): Promise<{ symbol: string; run: number }> {
      this.quoteRuns++;
      await new Promise((r) => setImmediate(r));
      return { symbol, run: this.quoteRuns };
    }

    @distributedLock("nested:{0}", { manager })
    async outer(id: number): Promise<string> {
      return this.inner(id);
    }

    @distributedLock("nested:{0}", { manager })
    inner(id: number): Promise<string> {
      return Promise.resolve(`inner ${id}`);
    }

    @distributedLock("nested:{0}", { manager })
    async outerReentrant(id: number): Promise<string> {
      return this.innerReentrant(id);
    }

    @distributedLock("nested:{0}", { manager, reentrant: true })
    innerReentrant(_id: number): Promise<string> {
      return Promise.resolve("inner ran inside outer");
    }
  }
  active = new Map();
  return new Orders();
}

decoratorSuite("TC39 standard", makeOrders);

// Records how TypeScript called a decorator: (value, context) in standard mode.
const decoratorArity: number[] = [];
function spy(...args: unknown[]): void {
  decoratorArity.push(args.length);
}

describe("standard decorators at class definition", () => {
  test("this file really compiles in standard mode: decorators get (value, context)", () => {
    class Probe {
      @spy
      async method(): Promise<void> {
        // never called
      }
    }
    expect(Probe).toBeDefined();
    expect(decoratorArity).toEqual([2]);
  });

  test("a template naming a missing argument fails when the class is defined", () => {
    const define = () => {
      class Broken {
        @distributedLock("user:{1}")
        async one(_id: number): Promise<void> {
          // never called
        }
      }
      return Broken;
    };
    expect(define).toThrow(LockConfigError);
    expect(define).toThrow(/\{1\} names argument 1, but one declares 1 parameter/);
  });

  test("a malformed template or bad options fail when the class is defined", () => {
    expect(() => distributedLock("user:{id}")).not.toThrow(); // checked once applied
    const malformed = () => {
      class Broken {
        @distributedLock("user:{id}")
        async one(_id: number): Promise<void> {
          // never called
        }
      }
      return Broken;
    };
    expect(malformed).toThrow(/not a positional path/);
    expect(() => cacheStampedeProtect("q:{0}", { ttl: 1_000, staleTtl: 10 })).toThrow(
      /options\.staleTtl: must be at least the ttl/,
    );
    expect(() => distributedLock("x", { timeout: -1 })).toThrow(LockConfigError);
  });
});
