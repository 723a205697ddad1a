/**
 * Test harness for WAIaaS integration tests. Every Jest test file gets its own PostgreSQL
 * database, cloned from a template built once per run from the real migrations, and every test
 * its own Redis key prefix; nothing outside them is ever touched, because other runs share the
 * same servers. Services come from DATABASE_URL / REDIS_URL, or Testcontainers when Docker
 * answers. Use with `preset({ rootDir, integration: true })` from `@waiaas/jest-config`.
 */
export { createTestDatabase, createEmptyDatabase, type TestDatabase } from './database.js';
export { createTestRedis, testRedisUrl, type TestRedis } from './redis.js';
export { withDatabase } from './services.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { freePort, startRedis, type DisposableRedis } from './redis-server.js';
export { createLogPipe, type LogPipe } from './log-pipe.js';
export { spawnSourceEntry } from './spawn-source.js';
export { recordRedisCommands, type RedisCommandRecorder } from './redis-monitor.js';
