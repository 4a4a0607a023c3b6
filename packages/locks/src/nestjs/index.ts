/**
 * NestJS for quorum-locks (`quorum-locks/nestjs`): a module that makes one LockManager per
 * application, injectable as `LockManager` (and its `Redlock`), used by the decorators of the
 * application's providers and controllers, and closed when the application shuts down. Needs
 * `@nestjs/common` and `@nestjs/core` (optional peer dependencies of quorum-locks).
 *
 * @module
 */
import {
  type DynamicModule,
  type FactoryProvider,
  Inject,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from "@nestjs/common";
import { ModulesContainer } from "@nestjs/core";
// The package's main entry, not its sources: the build keeps this import as an import of
// `quorum-locks` itself, so that LockManager here is the class applications import (their
// injection token) and the decorators' bindings are the ones they read.
import { bindLockManager, LockManager, type LockManagerOptions, Redlock } from "../index.js";

/** What {@link QuorumLocksModule.forRoot} takes: the manager's options, and where it is seen. */
export type QuorumLocksModuleOptions = LockManagerOptions & {
  /** Registers the module globally: every module can inject LockManager without importing it. Default false. */
  readonly isGlobal?: boolean | undefined;
};

/** What {@link QuorumLocksModule.forRootAsync} takes: a factory of the manager's options. */
export interface QuorumLocksModuleAsyncOptions {
  /** Modules whose providers the factory injects (a ConfigModule, say). */
  readonly imports?: ModuleMetadata["imports"];
  /** The factory's arguments, as providers' tokens. */
  readonly inject?: FactoryProvider["inject"];
  /** Returns the manager's options (or a promise of them); called once, when the application starts. */
  readonly useFactory: (...args: never[]) => LockManagerOptions | Promise<LockManagerOptions>;
  /** Registers the module globally. Default false. */
  readonly isGlobal?: boolean | undefined;
}

/** The injection token of the options the manager is made from. */
export const QUORUM_LOCKS_OPTIONS = Symbol.for("quorum-locks:module-options");

/**
 * The module: `QuorumLocksModule.forRoot({ redisNodes })` or `.forRootAsync({ useFactory })`.
 * Providers then inject `LockManager` (and `Redlock`); `@distributedLock`,
 * `@cacheStampedeProtect` and `@oncePerFire` on the application's providers and controllers use
 * this manager without being given it; `app.close()` closes it, after the other providers'
 * onModuleDestroy hooks, which may still use it.
 */
export class QuorumLocksModule implements OnModuleInit, OnApplicationShutdown {
  readonly #manager: LockManager;
  readonly #modules: ModulesContainer;

  /** @internal Made by Nest. */
  constructor(manager: LockManager, modules: ModulesContainer) {
    this.#manager = manager;
    this.#modules = modules;
  }

  /** A manager made from `options` when the application starts. */
  static forRoot(options: QuorumLocksModuleOptions): DynamicModule {
    const { isGlobal, ...managerOptions } = options;
    return QuorumLocksModule.#dynamic(isGlobal, [], {
      provide: QUORUM_LOCKS_OPTIONS,
      useValue: managerOptions,
    });
  }

  /** A manager made from the options a factory returns (with injected dependencies). */
  static forRootAsync(options: QuorumLocksModuleAsyncOptions): DynamicModule {
    return QuorumLocksModule.#dynamic(options.isGlobal, options.imports ?? [], {
      provide: QUORUM_LOCKS_OPTIONS,
      useFactory: options.useFactory,
      inject: options.inject ?? [],
    });
  }

  static #dynamic(
    isGlobal: boolean | undefined,
    imports: NonNullable<ModuleMetadata["imports"]>,
    optionsProvider: Provider,
  ): DynamicModule {
    return {
      module: QuorumLocksModule,
      global: isGlobal === true,
      imports,
      providers: [
        optionsProvider,
        {
          provide: LockManager,
          useFactory: (o: LockManagerOptions) => new LockManager(o),
          inject: [QUORUM_LOCKS_OPTIONS],
        },
        {
          provide: Redlock,
          useFactory: (m: LockManager) => m.redlock,
          inject: [LockManager],
        },
      ],
      exports: [LockManager, Redlock],
    };
  }

  /**
   * Binds the application's providers and controllers to the manager (see bindLockManager()),
   * before any of them is called through a lifecycle hook of a module that imports this one.
   * Request-scoped and transient providers are made later, per request or per injection: their
   * decorators use the default manager unless given one.
   */
  onModuleInit(): void {
    for (const module of this.#modules.values()) {
      for (const wrapper of [...module.providers.values(), ...module.controllers.values()]) {
        const instance: unknown = wrapper.instance;
        if (typeof instance === "object" && instance !== null) {
          bindLockManager(instance, this.#manager);
        }
      }
    }
  }

  /** Closes the manager: its clients, and the locks taken with tryLock(). */
  async onApplicationShutdown(): Promise<void> {
    await this.#manager.close();
  }
}

// Decorators applied as calls: this file is built without TypeScript's decorator modes, and
// the constructor's parameter types are not emitted, so the tokens are named.
Module({})(QuorumLocksModule);
Inject(LockManager)(QuorumLocksModule, undefined, 0);
Inject(ModulesContainer)(QuorumLocksModule, undefined, 1);
