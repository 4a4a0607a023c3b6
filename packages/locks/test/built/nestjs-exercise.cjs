// What both Nest smoke scripts check, given the two built entries as a module loaded them: a
// Nest application context with QuorumLocksModule, its LockManager the main entry's class, a
// decorated provider method locking through it with no manager given, and app.close() closing it.
require("reflect-metadata");

async function exercise(lib, nest, urls) {
  const { Injectable } = await import("@nestjs/common");
  const { NestFactory } = await import("@nestjs/core");
  const { Module } = await import("@nestjs/common");

  class Exports {
    async run(n) {
      return n * 2;
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Exports.prototype, "run");
  lib.distributedLock("export:{0}")(Exports.prototype, "run", descriptor);
  Object.defineProperty(Exports.prototype, "run", descriptor);
  Injectable()(Exports);

  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a Nest module, decorated below
  class AppModule {}
  Module({
    imports: [nest.QuorumLocksModule.forRoot({ redisNodes: urls, lockPrefix: "smoke:" })],
    providers: [Exports],
  })(AppModule);

  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const manager = app.get(lib.LockManager);
  const result = await app.get(Exports).run(21);
  const acquisitions = manager.getStatistics().locks.acquisitions;
  await app.close();
  let closed = false;
  await manager.getLock("after").catch((e) => (closed = e instanceof lib.LockConfigError));
  return {
    sameClass: manager instanceof lib.LockManager,
    redlock: app.get(lib.Redlock) === manager.redlock,
    result,
    acquisitions,
    closed,
  };
}

module.exports = { exercise };
