/**
 * Wallet policies (the `wallet_policies` table and its history, `wallet_policy_versions`).
 * A write upserts the policy, bumps its version, appends the version row and the
 * `policy.updated` event in one transaction.
 */
import { type Policy, type serializePolicy } from '@waiaas/policy-engine';
import { isUniqueViolation } from '../errors.js';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { type EventActor, writeEvent } from './event.repository.js';
import { parseStoredPolicy } from './stored-policy.js';

/** A policy as written: `serializePolicy`'s canonical form. */
export type CanonicalPolicy = ReturnType<typeof serializePolicy>;

export interface StoredPolicy {
  policy: Policy;
  version: number;
  updatedAt: Date;
}

/**
 * @example
 * ```ts
 * const policies = new PolicyRepository(prisma);
 * const { version } = await policies.write({ ownerId, walletId, policy: serializePolicy(p) });
 * const stored = await policies.find(walletId); // { policy, version, updatedAt } | null
 * ```
 */
export class PolicyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Writes the owner's policy as the wallet's next version (1 for the first). Two first
   * writes that race on the unique wallet id are retried once: the loser becomes version 2.
   */
  async write(input: {
    ownerId: string;
    walletId: string;
    policy: CanonicalPolicy;
  }): Promise<{ version: number; updatedAt: Date }> {
    try {
      return await this.writeOnce(input);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return this.writeOnce(input);
    }
  }

  private writeOnce({
    ownerId,
    walletId,
    policy,
  }: {
    ownerId: string;
    walletId: string;
    policy: CanonicalPolicy;
  }): Promise<{ version: number; updatedAt: Date }> {
    const actor: EventActor = { type: 'OWNER', id: ownerId };
    const data = {
      perTxLimit: new Prisma.Decimal(policy.perTxLimit),
      dailyLimit: new Prisma.Decimal(policy.dailyLimit),
      allowedAssets: policy.allowedAssets,
      allowedAddresses: policy.allowedAddresses,
      requiresApproval: policy.requiresApproval,
      metadata: policy.metadata as Prisma.InputJsonObject,
    };
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.walletPolicy.upsert({
        where: { walletId },
        create: { walletId, ...data, version: 1 },
        update: { ...data, version: { increment: 1 } },
      });
      await tx.walletPolicyVersion.create({
        data: {
          walletId,
          version: row.version,
          policy: policy as unknown as Prisma.InputJsonObject,
          actorType: actor.type,
          actorId: actor.id,
        },
      });
      await writeEvent(tx, actor, {
        type: 'policy.updated',
        ownerId,
        walletId,
        payload: { version: row.version, policy: policy },
      });
      return { version: row.version, updatedAt: row.updatedAt };
    });
  }

  /** The wallet's policy, or null when it has none; `POLICY_CORRUPT` if the row no longer parses. */
  async find(walletId: string): Promise<StoredPolicy | null> {
    const row = await this.prisma.walletPolicy.findUnique({ where: { walletId } });
    if (row === null) return null;
    const { policy } = parseStoredPolicy(walletId, {
      per_tx_limit: row.perTxLimit.toFixed(9),
      daily_limit: row.dailyLimit.toFixed(9),
      allowed_assets: row.allowedAssets,
      allowed_addresses: row.allowedAddresses,
      requires_approval: row.requiresApproval,
      metadata: row.metadata,
      version: row.version,
    });
    return { policy: policy!, version: row.version, updatedAt: row.updatedAt };
  }
}
