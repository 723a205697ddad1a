/**
 * The routes on which the owner console's session cookie stands in for an owner key, as
 * `METHOD /route/pattern` (Fastify's pattern, `:param` style). Everything else ignores the
 * cookie and still needs `Authorization: Bearer`: the operator's routes, an agent's transfers,
 * and signing in itself (which takes the owner key once; `GET /v1/console/session` reads the
 * cookie itself and is public). One list, so a reviewer sees at a
 * glance what a stolen browser session could reach; `test/console-session.test.ts` checks that
 * every entry is a real route.
 */
export const CONSOLE_ROUTES: ReadonlySet<string> = new Set([
  'DELETE /v1/console/session',
  'GET /v1/console/settings',
  'GET /v1/agents',
  'POST /v1/agents',
  'GET /v1/agents/:id',
  'PATCH /v1/agents/:id',
  'POST /v1/agents/:id/rotate-key',
  'GET /v1/agents/:id/keys',
  'POST /v1/agents/:id/keys',
  'DELETE /v1/agents/:id/keys/:keyId',
  'POST /v1/agents/:id/freeze',
  'POST /v1/agents/:id/unfreeze',
  'POST /v1/owners/me/freeze',
  'POST /v1/owners/me/unfreeze',
  'GET /v1/wallets',
  'POST /v1/wallets',
  'GET /v1/wallets/:id',
  'PUT /v1/wallets/:id/agents/:agentId',
  'DELETE /v1/wallets/:id/agents/:agentId',
  'POST /v1/wallets/:id/freeze',
  'POST /v1/wallets/:id/unfreeze',
  'GET /v1/wallets/:id/balance',
  'GET /v1/wallets/:id/spend',
  'GET /v1/wallets/:id/policy',
  'PUT /v1/wallets/:id/policy',
  'GET /v1/wallets/:id/transactions',
  'GET /v1/transactions',
  'GET /v1/transactions/:id',
  'POST /v1/transactions/:id/approve',
  'POST /v1/transactions/:id/reject',
  'GET /v1/webhook',
  'PUT /v1/webhook',
  'GET /v1/webhook/deliveries',
]);

/** Methods that change state: the cookie is accepted on them only with a valid CSRF token. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
