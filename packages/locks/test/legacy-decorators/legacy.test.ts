// experimentalDecorators (NestJS-style), compiled with this folder's tsconfig.
import "reflect-metadata";
import { describe, expect, test } from "vitest";
import {
  cacheStampedeProtect,
  distributedLock,
  LockConfigError,
  type LockManager,
} from "../../src/index.js";
import { type DecoratedOrders, decoratorSuite } from "../fixtures/decorated.js";

// What NestJS's @Get() does: metadata on the method's function itself.
const ROUTE = "route:path";
function Route(path: string) {
  return (_target: object, _key: string | symbol, descriptor: PropertyDescriptor) => {
    Reflect.defineMetadata(ROUTE, path, descriptor.value as object);
  };
}

// Records how TypeScript called a decorator: three arguments only in legacy mode.
const decoratorArity: number[] = [];
function spy(...args: unknown[]): void {
  decoratorArity.push(args.length);
}

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

decoratorSuite("experimentalDecorators", makeOrders);

describe("legacy decorators", () => {
  test("this file really compiles in legacy mode: decorators get (target, key, descriptor)", () => {
    class Probe {
      @spy
      async method(): Promise<void> {
        // never called
      }
    }
    expect(Probe).toBeDefined();
    expect(decoratorArity).toEqual([3]);
  });

  test("the wrapper keeps the method's name and its reflect-metadata (NestJS routes)", () => {
    class Controller {
      @distributedLock("export:{0}")
      @Route("/export/:id")
      async export(_id: number): Promise<void> {
        // never called
      }
    }
    const method = Object.getOwnPropertyDescriptor(Controller.prototype, "export")?.value as object;
    expect((method as { name: string }).name).toBe("export");
    expect(Reflect.getMetadata(ROUTE, method)).toBe("/export/:id");
  });

  test("a template naming a missing argument fails when the class is defined", () => {
    const define = () => {
      class Broken {
        @cacheStampedeProtect("q:{0.id}:{1}")
        one(_q: { id: string }): Promise<number> {
          return Promise.resolve(1);
        }
      }
      return Broken;
    };
    expect(define).toThrow(LockConfigError);
    expect(define).toThrow(/\{1\} names argument 1/);
  });
});
