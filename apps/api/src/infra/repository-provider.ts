import type { FactoryProvider } from '@nestjs/common';
import type { PrismaClient } from '@waiaas/database';
import { PRISMA } from './tokens.js';

/** Provides a `@waiaas/database` repository, built on the application's Prisma client. */
export function repositoryProvider<T>(
  repository: new (prisma: PrismaClient) => T,
): FactoryProvider<T> {
  return {
    provide: repository,
    useFactory: (prisma: PrismaClient) => new repository(prisma),
    inject: [PRISMA],
  };
}
