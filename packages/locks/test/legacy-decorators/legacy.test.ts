// experimentalDecorators (NestJS-style), compiled with this folder's tsconfig.
import "reflect-metadata";
import { describe, expect, test } from "vitest";
import {
  cacheStampedeProtect,
  distributedLock,
  LockConfigError,
  type LockManager,
} from "../../src/index.js";
import { type DecoratedOrders, decoratorSuite, OrdersBody } from "../fixtures/decorated.js";

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
