/**
 * `@waiaas/database` is the WAIaaS data layer: the Prisma 7 schema and its committed
 * migrations, a client factory over `pg` (`@prisma/adapter-pg`, no native engine), an
 * offline migrator interchangeable with `prisma migrate deploy`, error predicates, and the
 * repositories that own every query more than a one-liner (locking, spend accounting,
 * claiming work).
 */
export { createPrismaClient, type DatabaseConfig, type PrismaClient } from './client.js';
export { isUniqueViolation, isCheckViolation, isForeignKeyViolation, isRetriableError, sqlState } from './errors.js';
export { migrate, readMigrations, MigrationError, type MigrateOptions, type MigrateResult } from './migrator.js';
import { type Prisma } from './generated/prisma/client.js';

export { Prisma } from './generated/prisma/client.js';
export * from './generated/prisma/enums.js';
export type * from './generated/prisma/models.js';

/** The client handed to `prisma.$transaction(async (tx) => ...)` callbacks. */
export type TransactionClient = Prisma.TransactionClient;
