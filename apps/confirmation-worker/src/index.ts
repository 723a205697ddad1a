/**
 * `@waiaas/confirmation-worker` moves signed transactions PENDING → SUBMITTED → CONFIRMED /
 * FAILED: it claims work with `FOR UPDATE SKIP LOCKED` (any number of replicas), sends only the
 * stored signed bytes and rebroadcasts them while their blockhash is valid, confirms through
 * `getSignatureStatuses`, expires what provably can no longer land (releasing the spend),
 * writes every transition's event and webhook outbox rows in the transition's own database
 * transaction, and delivers HMAC-signed webhooks with backoff. The process entry is
 * `src/main.ts`; the classes below are its parts, usable (and tested) on their own.
 */
export {
  ConfirmationWorker,
  type ConfirmationWorkerOptions,
  type HealthCheck,
  type WorkerHealth,
} from './worker.js';
export { loadConfig, type WorkerConfig } from './config.js';
export {
  WorkerError,
  isWorkerError,
  type WorkerErrorCode,
  type WorkerErrorContext,
} from './errors.js';
export { Submitter, type SubmitterDeps, type SubmitterOptions } from './submitter.js';
export {
  Confirmer,
  type ConfirmerDeps,
  type ConfirmerOptions,
  type ConfirmPass,
} from './confirmer.js';
export { classify, type ClassifyInput, type Verdict } from './classify.js';
export {
  WebhookDispatcher,
  type WebhookBody,
  type WebhookDispatcherOptions,
} from './webhook-dispatcher.js';
export {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
} from './webhook-signature.js';
export { backoffDelayMs } from './backoff.js';
export { BalanceInvalidator, type BalanceCache } from './balance-invalidator.js';
export {
  KitChain,
  MAX_SIGNATURES_PER_STATUS_CALL,
  type Chain,
  type SignatureStatus,
} from './chain.js';
export { WorkerMetrics, type Transition } from './metrics.js';
export { startMetricsServer } from './metrics-server.js';
export { PendingListener } from './pending-listener.js';
export { Loop } from './loop.js';
export { Retention } from './retention.js';
export { ApprovalExpirySweep } from './approval-expiry.js';
export { createLogger } from './logger.js';
export type { ClaimObserver } from './claim-observer.js';
