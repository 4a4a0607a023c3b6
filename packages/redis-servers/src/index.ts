export { freePort } from "./ports.js";
export { RedisServer, type RedisServerOptions } from "./redis-server.js";
export { startLocalNodes, type LocalNodes } from "./local-nodes.js";
