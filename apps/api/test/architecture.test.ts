import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * Repositories own queries: an API service calls a repository of `@waiaas/database`, never
 * Prisma's client itself (so every query, its locking and its indexes are reviewed in one
 * package). See docs/decisions/repositories-own-queries.md.
 */
const SRC = join(import.meta.dirname, '..', 'src');

/** Ways a file reaches Prisma's query API. */
const PRISMA_ACCESS: [string, RegExp][] = [
  ['imports PrismaClient', /\bPrismaClient\b/],
  ['injects the PRISMA token', /@Inject\(PRISMA\)/],
  ['calls this.prisma', /\bthis\.prisma\b/],
  ['opens a Prisma transaction', /\$transaction\b/],
  ['runs raw SQL', /\$(queryRaw|executeRaw)(Unsafe)?\b/],
];

/**
 * Services that still query Prisma, each with the reason. Shrink this list; never grow it.
 */
const ALLOWED = new Map<string, string>([
  // Create/evaluate/approve/reject live in packages/transfer-engine now; these two still read
  // (transaction lists and the policy row) through Prisma.
  ['transactions/transaction.service.ts', 'transaction reads not yet in a repository'],
  ['policies/policy.service.ts', 'the policy row, read two ways until it has a repository'],
  // Not yet moved into repositories (their writes share transactions with the audit log).
  ['owners/owner.service.ts', 'not yet moved: owner writes with their audit events'],
  ['agents/agent.service.ts', 'not yet moved: agent writes with their audit events'],
  ['wallets/wallet.service.ts', 'not yet moved: wallet and grant writes with audit events'],
  [
    'audit/audit.service.ts',
    'not yet moved: the event writer other services call in their transactions',
  ],
]);

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
      .filter((file) => !ALLOWED.has(file))
      .map((file) => [file, prismaAccess(readFileSync(join(SRC, file), 'utf8'))] as const)
      .filter(([, access]) => access.length > 0);
    expect(offenders).toEqual([]);
  });

  it('keep the allow-list honest: every entry exists and still needs its exemption', () => {
    for (const file of ALLOWED.keys()) {
      expect(services).toContain(file);
      expect(prismaAccess(readFileSync(join(SRC, file), 'utf8'))).not.toEqual([]);
    }
  });

  it('recognises direct Prisma access', () => {
    expect(prismaAccess('@Inject(PRISMA) private readonly prisma: PrismaClient')).toHaveLength(2);
    expect(prismaAccess('await this.prisma.owner.findMany()')).toEqual(['calls this.prisma']);
    expect(prismaAccess('await this.owners.findMany()')).toEqual([]);
  });
});
