import { Inject, Injectable } from '@nestjs/common';
import {
  type AuditEvent,
  type EventActor,
  EventRepository,
  type TransactionClient,
} from '@waiaas/database';
import type { Principal } from '../auth/principal.js';

export type { AuditEvent } from '@waiaas/database';

const ACTOR: Record<Principal['kind'], EventActor['type']> = {
  operator: 'OPERATOR',
  owner: 'OWNER',
  agent: 'AGENT',
};

/** The event log's actor for `principal` (no id for the operator). */
export function actorOf(principal: Principal): EventActor {
  const id =
    principal.kind === 'owner'
      ? principal.ownerId
      : principal.kind === 'agent'
        ? principal.agentId
        : null;
  return { type: ACTOR[principal.kind], id };
}

/**
 * Writes audit events on behalf of a principal, inside the caller's database transaction when
 * given one. Repositories that write an event with their own change call the event log
 * themselves, with {@link actorOf}.
 */
@Injectable()
export class AuditService {
  constructor(@Inject(EventRepository) private readonly events: EventRepository) {}

  record(principal: Principal, event: AuditEvent, tx?: TransactionClient): Promise<void> {
    return this.events.record(actorOf(principal), event, tx);
  }
}
