/**
 * Every route the client calls, by method name: the single table `WaiaasClient` builds its
 * requests from, and that `test/openapi.test.ts` checks against the API's OpenAPI document
 * (each route must exist there with this method), so client and API cannot drift apart.
 *
 * @example
 * ```ts
 * ROUTES.createTransfer; // { method: 'POST', path: '/v1/wallets/{id}/transfers' }
 * ```
 */
export const ROUTES = {
  createOwner: { method: 'POST', path: '/v1/owners' },
  updateOwner: { method: 'PATCH', path: '/v1/owners/{id}' },
  rotateOwnerKey: { method: 'POST', path: '/v1/owners/me/rotate-key' },
  freezeOwner: { method: 'POST', path: '/v1/owners/me/freeze' },
  unfreezeOwner: { method: 'POST', path: '/v1/owners/me/unfreeze' },
  createAgent: { method: 'POST', path: '/v1/agents' },
  listAgents: { method: 'GET', path: '/v1/agents' },
  getAgent: { method: 'GET', path: '/v1/agents/{id}' },
  updateAgent: { method: 'PATCH', path: '/v1/agents/{id}' },
  rotateAgentKey: { method: 'POST', path: '/v1/agents/{id}/rotate-key' },
  freezeAgent: { method: 'POST', path: '/v1/agents/{id}/freeze' },
  unfreezeAgent: { method: 'POST', path: '/v1/agents/{id}/unfreeze' },
  createAgentKey: { method: 'POST', path: '/v1/agents/{id}/keys' },
  listAgentKeys: { method: 'GET', path: '/v1/agents/{id}/keys' },
  revokeAgentKey: { method: 'DELETE', path: '/v1/agents/{id}/keys/{keyId}' },
  createWallet: { method: 'POST', path: '/v1/wallets' },
  listWallets: { method: 'GET', path: '/v1/wallets' },
  getWallet: { method: 'GET', path: '/v1/wallets/{id}' },
  grantAgent: { method: 'PUT', path: '/v1/wallets/{id}/agents/{agentId}' },
  revokeAgent: { method: 'DELETE', path: '/v1/wallets/{id}/agents/{agentId}' },
  freezeWallet: { method: 'POST', path: '/v1/wallets/{id}/freeze' },
  unfreezeWallet: { method: 'POST', path: '/v1/wallets/{id}/unfreeze' },
  getBalance: { method: 'GET', path: '/v1/wallets/{id}/balance' },
  setPolicy: { method: 'PUT', path: '/v1/wallets/{id}/policy' },
  getPolicy: { method: 'GET', path: '/v1/wallets/{id}/policy' },
  createTransfer: { method: 'POST', path: '/v1/wallets/{id}/transfers' },
  evaluateTransfer: { method: 'POST', path: '/v1/wallets/{id}/transfers/evaluate' },
  listTransactions: { method: 'GET', path: '/v1/wallets/{id}/transactions' },
  listOwnerTransactions: { method: 'GET', path: '/v1/transactions' },
  getWalletSpend: { method: 'GET', path: '/v1/wallets/{id}/spend' },
  getTransaction: { method: 'GET', path: '/v1/transactions/{id}' },
  approveTransaction: { method: 'POST', path: '/v1/transactions/{id}/approve' },
  rejectTransaction: { method: 'POST', path: '/v1/transactions/{id}/reject' },
  cancelTransaction: { method: 'POST', path: '/v1/transactions/{id}/cancel' },
  setWebhook: { method: 'PUT', path: '/v1/webhook' },
  getWebhook: { method: 'GET', path: '/v1/webhook' },
  listWebhookDeliveries: { method: 'GET', path: '/v1/webhook/deliveries' },
  createConsoleSession: { method: 'POST', path: '/v1/console/session' },
  getConsoleSession: { method: 'GET', path: '/v1/console/session' },
  deleteConsoleSession: { method: 'DELETE', path: '/v1/console/session' },
  getConsoleSettings: { method: 'GET', path: '/v1/console/settings' },
  dbHealth: { method: 'GET', path: '/v1/admin/db/health' },
  getServiceFreeze: { method: 'GET', path: '/v1/admin/freeze' },
  freezeService: { method: 'POST', path: '/v1/admin/freeze' },
  unfreezeService: { method: 'POST', path: '/v1/admin/unfreeze' },
  healthLive: { method: 'GET', path: '/health/live' },
  healthReady: { method: 'GET', path: '/health/ready' },
} as const satisfies Record<
  string,
  { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string }
>;

/**
 * Name of a client operation (a key of {@link ROUTES}).
 *
 * @example
 * ```ts
 * const name: RouteName = 'approveTransaction';
 * console.log(ROUTES[name].method); // 'POST'
 * ```
 */
export type RouteName = keyof typeof ROUTES;
