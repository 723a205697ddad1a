/**
 * `@waiaas/database` is the WAIaaS data layer: the Prisma 7 schema and its committed
 * migrations, a client factory over `pg` (`@prisma/adapter-pg`, no native engine), an
 * offline migrator interchangeable with `prisma migrate deploy`, error predicates, and the
 * repositories that own every query (owners, agents, wallets and grants, policies, transaction
 * reads, the event log, spend accounting, claiming work).
 */
export {
  createPrismaClient,
  type DatabaseConfig,
  type PrismaClient,
  type SlowQueryEvent,
} from './client.js';
export {
  isUniqueViolation,
  isCheckViolation,
  isForeignKeyViolation,
  isRetriableError,
  isDatabaseUnavailable,
  sqlState,
} from './errors.js';
export {
  migrate,
  readMigrations,
  MigrationError,
  type MigrateOptions,
  type MigrateResult,
} from './migrator.js';
export { Prisma } from './generated/prisma/client.js';
export * from './generated/prisma/enums.js';
export type * from './generated/prisma/models.js';
export type { TransactionClient } from './transaction-client.js';
export {
  sqlOf,
  sqlPool,
  sqlTransaction,
  type Sql,
  type SqlStatement,
  type SqlTransactionOptions,
  type TransactionSql,
} from './sql.js';
export {
  RepositoryError,
  isRepositoryError,
  type RepositoryErrorCode,
  type RepositoryErrorContext,
} from './repository-error.js';
export {
  SpendRepository,
  PENDING_TRANSACTION_CHANNEL,
  type TransferRequest,
  type SignedTransfer,
  type SignTransfer,
  type ReserveResult,
  type ApproveResult,
  type ReleaseResult,
  type SpendRepositoryOptions,
  type ReservationReceipt,
} from './repositories/spend.repository.js';
export {
  WorkerRepository,
  type ClaimedTransaction,
  type ClaimUnit,
  type ConfirmedUpdate,
  type FailedUpdate,
  type TransitionResult,
  type WorkerRepositoryOptions,
} from './repositories/worker.repository.js';
export {
  WebhookDeliveryRepository,
  type ClaimedDelivery,
  type DeliveryUnit,
} from './repositories/webhook-delivery.repository.js';
export {
  IdempotencyRepository,
  IdempotencyKeyHeld,
  holdsKey,
  type HeldIdempotencyKey,
  type IdempotencyClock,
  type IdempotencyCompletion,
} from './repositories/idempotency.repository.js';
export {
  ApprovalExpiryRepository,
  type ExpiredApprovals,
  recordAwaitingApproval,
  recordDelayed,
} from './repositories/approval-expiry.repository.js';
export {
  FreezeRepository,
  CANCELLED_BY_FREEZE,
  type FreezeScope,
  type FreezeTarget,
  type FreezeResult,
  type CancelledTransfer,
} from './repositories/freeze.repository.js';
export { DbHealthRepository, type DbHealthReport } from './repositories/db-health.repository.js';
export {
  WebhookEndpointRepository,
  type DeliveryWithEvent,
  type WebhookEndpointInput,
} from './repositories/webhook-endpoint.repository.js';
export {
  AgentKeyRepository,
  type AgentKeyAccessRecord,
  type CreateAgentKeyRefusal,
  type NewAgentKey,
} from './repositories/agent-key.repository.js';
export {
  AccessRepository,
  type OwnerAccessRecord,
  type WalletAccessRecord,
} from './repositories/access.repository.js';
export {
  ConsoleSessionRepository,
  type ConsoleSessionRecord,
  type NewConsoleSession,
} from './repositories/console-session.repository.js';
export {
  SpendReportRepository,
  type AssetSpend,
  type DailyAssetSpend,
} from './repositories/spend-report.repository.js';
export {
  type CountedByAsset,
  foldFees,
  NOT_COUNTING_STATUSES,
} from './repositories/spend-accounting.js';
export {
  EventRepository,
  writeEvent,
  type AuditEvent,
  type AuditEventType,
  type EventActor,
  type PolicyPayload,
} from './repositories/event.repository.js';
export {
  OwnerRepository,
  type NewOwner,
  type OwnerStatusChange,
} from './repositories/owner.repository.js';
export {
  AgentRepository,
  type AgentChange,
  type AgentKeyRotation,
  type AgentUpdate,
  type NewAgent,
} from './repositories/agent.repository.js';
export {
  WalletRepository,
  type CustodyWallet,
  type ListedWallet,
  type WalletGrant,
  type WalletViewer,
} from './repositories/wallet.repository.js';
export {
  TransactionReadRepository,
  type TransactionPageQuery,
  type TransactionScope,
} from './repositories/transaction-read.repository.js';
export {
  PolicyRepository,
  type CanonicalPolicy,
  type StoredPolicy,
} from './repositories/policy.repository.js';
export { parseStoredPolicy, type StoredPolicyRow } from './repositories/stored-policy.js';
