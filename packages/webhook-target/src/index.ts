/**
 * `@waiaas/webhook-target` decides where WAIaaS may deliver webhooks, so that a webhook URL
 * cannot be turned into a request to the service's own network (SSRF): the API checks the URL
 * when an owner registers it ({@link assertWebhookUrl}), and the worker delivers through
 * {@link createWebhookFetch}, which checks the URL again and refuses to connect when the host
 * name resolves to a non-public address (DNS rebinding). Private targets are allowed only when
 * the operator says so (`WEBHOOK_ALLOW_PRIVATE_TARGETS=true`, local development).
 */
export {
  assertWebhookUrl,
  createGuardedLookup,
  isPublicAddress,
  isWebhookTargetError,
  WebhookTargetError,
  type WebhookTargetOptions,
  type WebhookTargetProblem,
} from './webhook-target.js';
export { createWebhookFetch, type WebhookFetch } from './webhook-fetch.js';
