import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * Repositories own queries: an API service calls a repository of `@waiaas/database`, never
 * Prisma's client itself (so every query, its locking and its indexes are reviewed in one
 * package). No service is exempt. See docs/decisions/repositories-own-queries.md.
 */
const SRC = join(import.meta.dirname, '..', 'src');

/** Ways a file reaches Prisma's query API. */
const PRISMA_ACCESS: [string, RegExp][] = [
  ['imports PrismaClient', /\bPrismaClient\b/],
  ['injects the PRISMA token', /@Inject\(PRISMA\)/],
  ['calls this.prisma', /\bthis\.prisma\b/],
  ['opens a Prisma transaction', /\$transaction\b/],
  ['runs raw SQL', /\$(queryRaw|executeRaw)(Unsafe)?\b/],
  ['uses the Prisma namespace', /\bPrisma\./],
  [
    'queries a model through a transaction client',
    /\btx\.\w+\.(create|update|upsert|delete|find|count|aggregate)\w*\(/,
  ],
];

function serviceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return serviceFiles(path);
    return entry.name.endsWith('.service.ts') ? [relative(SRC, path)] : [];
  });
}

/** What in `source` reaches Prisma directly. */
function prismaAccess(source: string): string[] {
  return PRISMA_ACCESS.filter(([, pattern]) => pattern.test(source)).map(([what]) => what);
}

describe('API services', () => {
  const services = serviceFiles(SRC);

  it('query through repositories, not through the Prisma client', () => {
    expect(services.length).toBeGreaterThan(10);
    const offenders = services
      .map((file) => [file, prismaAccess(readFileSync(join(SRC, file), 'utf8'))] as const)
      .filter(([, access]) => access.length > 0);
    expect(offenders).toEqual([]);
  });

  it('recognises direct Prisma access', () => {
    expect(prismaAccess('@Inject(PRISMA) private readonly prisma: PrismaClient')).toHaveLength(2);
    expect(prismaAccess('await this.prisma.owner.findMany()')).toEqual(['calls this.prisma']);
    expect(prismaAccess('await this.owners.findMany()')).toEqual([]);
    expect(prismaAccess('new Prisma.Decimal(limit)')).toEqual(['uses the Prisma namespace']);
    expect(prismaAccess('await tx.walletAgent.deleteMany({ where })')).toEqual([
      'queries a model through a transaction client',
    ]);
  });
});
