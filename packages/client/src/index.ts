/**
 * `@waiaas/client` is the typed TypeScript client of the WAIaaS REST API: one method per
 * endpoint of the API (owners, agents, wallets, grants, policies, balances, transfers with
 * idempotency keys, dry-run evaluation, transactions, approvals, webhooks, health), over the
 * platform's `fetch`. Amounts are decimal strings; every failure is a {@link WaiaasApiError}
 * carrying the HTTP status, the API's stable problem `code` and the problem document
 * (with the policy `reasons` of a denial). Its route table is checked against the API's
 * OpenAPI document in the tests.
 */
export {
  WaiaasClient,
  type WaiaasClientOptions,
  type TransferOptions,
  type TransferResult,
  type WaitOptions,
} from './client.js';
export {
  WaiaasApiError,
  isWaiaasApiError,
  isWaiaasProblem,
  type WaiaasClientErrorCode,
} from './errors.js';
export { ROUTES, type RouteName } from './routes.js';
export type * from './types.js';
