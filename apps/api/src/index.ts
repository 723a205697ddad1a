/**
 * `@waiaas/api` is the WAIaaS REST API (NestJS on Fastify): owners, agents, wallets, policies,
 * transfers with idempotency and policy checks before signing, health, metrics and OpenAPI.
 * It composes the domain packages and holds only HTTP and process concerns. `createApp`
 * builds the application from a typed configuration (`loadConfig`), so the same module runs
 * in production (`src/main.ts`) and in tests (Fastify inject against real services).
 */
export { createApp, type CreateAppOptions } from './app.factory.js';
export { AppModule } from './app.module.js';
export {
  loadConfig,
  ConfigError,
  type AppConfig,
  type CustodyConfig,
} from './config/app-config.js';
export { ApiError, isApiError, API_ERRORS, type ApiErrorCode } from './common/api-error.js';
