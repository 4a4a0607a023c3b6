import { LockConfigError } from "../errors/index.js";

/** Any async method. */
export type AsyncMethod = (this: unknown, ...args: never[]) => Promise<unknown>;

/**
 * A method decorator usable in both of TypeScript's modes: TC39 standard decorators (the
 * default since TypeScript 5: `(value, context)`) and `experimentalDecorators` (NestJS and
 * friends: `(target, propertyKey, descriptor)`).
 *
 * @typeParam Args the decorated method's leading parameters, as the key function sees them
 */
export interface DualMethodDecorator<Args extends unknown[]> {
  /**
   * A standard decorator call.
   * @typeParam F the decorated method
   */
  <This, F extends (this: This, ...args: [...Args, ...never[]]) => Promise<unknown>>(
    value: F,
    context: ClassMethodDecoratorContext<This, F>,
  ): F;
  /** An `experimentalDecorators` call. */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

type Wrap = (original: AsyncMethod, name: string) => AsyncMethod;

/** The second argument of a standard decorator: `{ kind, name, ... }` (a legacy one gets a key). */
function isDecoratorContext(value: unknown): value is { kind: unknown; name: unknown } {
  return typeof value === "object" && value !== null && "kind" in value && "name" in value;
}

/**
 * One implementation for both modes: it detects the call shape, wraps the method with `wrap`
 * (which may throw LockConfigError: the class definition then fails), keeps the method's name,
 * and in legacy mode copies the original's reflect-metadata to the wrapper, since frameworks
 * (NestJS routes, guards) read metadata from the function they end up calling.
 */
export function dualMethodDecorator<Args extends unknown[]>(
  decorator: string,
  wrap: Wrap,
): DualMethodDecorator<Args> {
  return function decorate(...args: unknown[]): unknown {
    const [first, second, third] = args;
    if (args.length === 2 && isDecoratorContext(second)) {
      if (second.kind !== "method" || typeof first !== "function") {
        throw misuse(decorator);
      }
      return named(wrap(first as AsyncMethod, String(second.name)), first as AsyncMethod);
    }
    const descriptor = third as PropertyDescriptor | undefined;
    if (args.length === 3 && typeof descriptor?.value === "function") {
      const original = descriptor.value as AsyncMethod;
      const wrapper = named(wrap(original, String(second)), original);
      copyMetadata(original, wrapper);
      descriptor.value = wrapper;
      return descriptor;
    }
    throw misuse(decorator);
  };
}

function misuse(decorator: string): LockConfigError {
  return new LockConfigError([{ field: decorator, message: "can only decorate a method" }]);
}

function named(wrapper: AsyncMethod, original: AsyncMethod): AsyncMethod {
  Object.defineProperty(wrapper, "name", { value: original.name, configurable: true });
  Object.defineProperty(wrapper, "length", { value: original.length, configurable: true });
  return wrapper;
}

interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

/** Copies reflect-metadata when the program loaded it; this library does not depend on it. */
function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as Partial<ReflectMetadata>;
  if (
    typeof reflect.getOwnMetadataKeys !== "function" ||
    typeof reflect.getOwnMetadata !== "function" ||
    typeof reflect.defineMetadata !== "function"
  ) {
    return;
  }
  for (const key of reflect.getOwnMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, from), to);
  }
}
