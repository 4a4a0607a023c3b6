// TC39 standard decorators: TypeScript 5's default (no experimentalDecorators in this tsconfig).
import { describe, expect, test } from "vitest";
import {
  cacheStampedeProtect,
  distributedLock,
  LockConfigError,
  type LockManager,
} from "../../src/index.js";
import { type DecoratedOrders, decoratorSuite, OrdersBody } from "../fixtures/decorated.js";

function makeOrders(manager: () => LockManager): DecoratedOrders {
  class Orders extends OrdersBody implements DecoratedOrders {
    @distributedLock("critical_operation:{0}", { timeout: 5_000, manager })
    critical(userId: number, data: { id: string }): Promise<string> {
      return this.criticalBody(userId, data);
    }

    @distributedLock((userId: number) => `export:${userId}`, { manager, timeout: 10_000 })
    exportFor(userId: number): Promise<number> {
      return this.exportBody(userId);
    }

    @cacheStampedeProtect("expensive_query:{0}", { ttl: 60_000, staleTtl: 300_000, manager })
    quote(symbol: string): Promise<{ symbol: string; run: number }> {
      return this.quoteBody(symbol);
    }

    @distributedLock("nested:{0}", { manager })
    outer(id: number): Promise<string> {
      return this.inner(id);
    }

    @distributedLock("nested:{0}", { manager })
    inner(id: number): Promise<string> {
      return Promise.resolve(`inner ${id}`);
    }

    @distributedLock("nested:{0}", { manager })
    outerReentrant(id: number): Promise<string> {
      return this.innerReentrant(id);
    }

    @distributedLock("nested:{0}", { manager, reentrant: true })
    innerReentrant(_id: number): Promise<string> {
      return Promise.resolve("inner ran inside outer");
    }
  }
  return new Orders(manager);
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
