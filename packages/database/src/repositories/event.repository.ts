/**
 * The audit/outbox log (the `events` table, append-only). Every event the API writes has a
 * type from {@link AuditEvent}, a discriminated union that fixes each type's payload, so a
 * writer cannot misspell a type or forget a field the console and webhooks read.
 */
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';

/** Who caused an event: the operator, an owner or an agent (`id` null for the operator). */
export interface EventActor {
  type: 'OPERATOR' | 'OWNER' | 'AGENT';
  id: string | null;
}

/** A policy as stored in an event's payload (the canonical, serialized form). */
export type PolicyPayload = Record<string, unknown>;

/** Every event type the API writes, with its payload. */
export type AuditEvent =
  | { type: 'owner.created'; ownerId: string; payload: { email: string } }
  | { type: 'owner.key_rotated'; ownerId: string }
  | { type: 'owner.revoked'; ownerId: string }
  | { type: 'agent.created'; ownerId: string; payload: { agentId: string; name: string } }
  | {
      type: 'agent.updated' | 'agent.active' | 'agent.suspended' | 'agent.revoked';
      ownerId: string;
      payload: {
        agentId: string;
        name?: string;
        status?: 'ACTIVE' | 'SUSPENDED' | 'REVOKED';
        previousStatus?: string;
      };
    }
  | { type: 'agent.key_rotated'; ownerId: string; payload: { agentId: string } }
  | {
      type: 'agent.key_created';
      ownerId: string;
      payload: {
        agentId: string;
        keyId: string;
        name: string | null;
        scopes: readonly string[];
        walletIds: readonly string[];
        expiresAt: string;
        /** SOL (decimal string); null: no cap of its own. */
        dailyCap?: string | null;
      };
    }
  | {
      type: 'agent.key_revoked';
      ownerId: string;
      payload: { agentId: string; keyId: string; name: string | null; primary: boolean };
    }
  | {
      type: 'wallet.created';
      ownerId: string;
      walletId: string;
      payload: { address: string; custody: string };
    }
  | {
      type: 'wallet.agent_granted' | 'wallet.agent_revoked';
      ownerId: string;
      walletId: string;
      payload: { agentId: string };
    }
  | {
      type: 'policy.updated';
      ownerId: string;
      walletId: string;
      payload: { version: number; policy: PolicyPayload };
    }
  | {
      type: 'webhook.updated';
      ownerId: string;
      payload: { url: string; enabled: boolean; secretRotated: boolean };
    }
  | {
      type: 'console.signed_in';
      ownerId: string;
      payload: { sessionId: string; expiresAt: string };
    }
  | { type: 'console.signed_out'; ownerId: string; payload: { sessionId: string } };

export type AuditEventType = AuditEvent['type'];

type Db = PrismaClient | TransactionClient;

/**
 * Writes `event` through `db` (a transaction client joins the caller's transaction). The one
 * place an API event row is built; repositories call it inside their own transactions.
 */
export async function writeEvent(db: Db, actor: EventActor, event: AuditEvent): Promise<void> {
  await db.event.create({
    data: {
      type: event.type,
      actorType: actor.type,
      actorId: actor.id,
      ownerId: event.ownerId,
      walletId: 'walletId' in event ? event.walletId : null,
      transactionId: null,
      payload: ('payload' in event ? event.payload : {}) as Prisma.InputJsonObject,
    },
  });
}

/**
 * @example
 * ```ts
 * const events = new EventRepository(prisma);
 * await events.record({ type: 'OWNER', id: ownerId }, {
 *   type: 'console.signed_out', ownerId, payload: { sessionId },
 * });
 * ```
 */
export class EventRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Appends one event, inside `tx` when given (so it commits or rolls back with the write). */
  record(actor: EventActor, event: AuditEvent, tx?: TransactionClient): Promise<void> {
    return writeEvent(tx ?? this.prisma, actor, event);
  }
}
