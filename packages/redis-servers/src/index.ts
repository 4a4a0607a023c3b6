export { createTestCertificates, type TestCertificates } from "./certificates.js";
export { clockRateWrapper, clockSkewAvailable } from "./clock-skew.js";
export { freePort } from "./ports.js";
export { RedisServer, type RedisServerOptions, type ServerTls } from "./redis-server.js";
export { startLocalNodes, type LocalNodes } from "./local-nodes.js";
export { startLocalCluster, type LocalCluster } from "./local-cluster.js";
export { SENTINEL_MASTER_NAME, startLocalSentinel } from "./local-sentinel.js";
