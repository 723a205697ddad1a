import { Inject, Injectable } from '@nestjs/common';
import { type PrismaClient, Prisma, type TransactionClient } from '@waiaas/database';
import type { Principal } from '../auth/principal.js';
import { PRISMA } from '../infra/tokens.js';

/** One audit/outbox event (the `events` table is append-only). */
export interface AuditEvent {
  type: string;
  ownerId?: string | null;
  walletId?: string | null;
  transactionId?: string | null;
  payload?: Record<string, unknown>;
  policyDecision?: Prisma.InputJsonValue | null;
}

const ACTOR: Record<Principal['kind'], 'OPERATOR' | 'OWNER' | 'AGENT'> = {
  operator: 'OPERATOR',
  owner: 'OWNER',
  agent: 'AGENT',
};

function actorId(principal: Principal): string | null {
  if (principal.kind === 'owner') return principal.ownerId;
  if (principal.kind === 'agent') return principal.agentId;
  return null;
}

/** Writes audit events, inside the caller's database transaction when given one. */
@Injectable()
export class AuditService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async record(principal: Principal, event: AuditEvent, tx?: TransactionClient): Promise<void> {
    await (tx ?? this.prisma).event.create({
      data: {
        type: event.type,
        actorType: ACTOR[principal.kind],
        actorId: actorId(principal),
        ownerId: event.ownerId ?? null,
        walletId: event.walletId ?? null,
        transactionId: event.transactionId ?? null,
        payload: (event.payload ?? {}) as Prisma.InputJsonObject,
        ...(event.policyDecision === undefined || event.policyDecision === null
          ? {}
          : { policyDecision: event.policyDecision }),
      },
    });
  }
}
