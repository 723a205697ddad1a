import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

/** Connection settings for {@link createPrismaClient}, parsed by the app's typed config. */
export interface DatabaseConfig {
  /** PostgreSQL connection string. */
  url: string;
  /** Maximum pool connections per process (default 10). */
  poolSize?: number;
  /** Server-side statement timeout in milliseconds (default 5 000). */
  statementTimeoutMs?: number;
  /** How long to wait for a pool connection in milliseconds (default 5 000). */
  connectionTimeoutMs?: number;
  /** Idle pool connections are closed after this many milliseconds (default 30 000). */
  idleTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity (default "waiaas"). */
  applicationName?: string;
}

export type { PrismaClient };

/**
 * Builds a Prisma client over `pg` through `@prisma/adapter-pg` (no native engine needed).
 * Call `$disconnect()` on shutdown: it closes the pool.
 *
 * @example
 * ```ts
 * const prisma = createPrismaClient({ url: process.env.DATABASE_URL!, poolSize: 20 });
 * const owners = await prisma.owner.count();
 * await prisma.$disconnect();
 * ```
 */
export function createPrismaClient(config: DatabaseConfig): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    connectionTimeoutMillis: config.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: config.idleTimeoutMs ?? 30_000,
    statement_timeout: config.statementTimeoutMs ?? 5_000,
    application_name: config.applicationName ?? 'waiaas',
  });
  return new PrismaClient({ adapter });
}
