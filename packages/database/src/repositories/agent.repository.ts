/**
 * Agents (the `agents` table) of one owner: creation, reads, renaming and status changes, and
 * key rotation, each write together with its audit event in one transaction. Changes lock the
 * agent row, so a concurrent rotation and revocation never interleave.
 */
import type { Agent, AgentStatus, PrismaClient } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';
import { type EventActor, writeEvent } from './event.repository.js';

export interface NewAgent {
  ownerId: string;
  name: string;
  description: string | null;
  apiKeyHash: string;
}

export interface AgentChange {
  name?: string;
  status?: AgentStatus;
}

/** `final`: the agent is REVOKED and the change would rename or reactivate it. */
export type AgentUpdate =
  { kind: 'not_found' } | { kind: 'final' } | { kind: 'updated'; agent: Agent };

export type AgentKeyRotation =
  | { kind: 'not_found' }
  | { kind: 'final' }
  | { kind: 'rotated'; agent: Agent; retiredHash: string };

interface LockedAgent {
  status: AgentStatus;
  api_key_hash: string;
}

async function lockAgent(
  tx: TransactionClient,
  ownerId: string,
  agentId: string,
): Promise<LockedAgent | undefined> {
  const rows = await tx.$queryRaw<LockedAgent[]>`
    SELECT status::text AS status, api_key_hash FROM agents
    WHERE id = ${agentId}::uuid AND owner_id = ${ownerId}::uuid FOR UPDATE`;
  return rows[0];
}

/**
 * @example
 * ```ts
 * const agents = new AgentRepository(prisma);
 * const agent = await agents.create({ ownerId, name: 'bot', description: null, apiKeyHash }, actor);
 * await agents.update(ownerId, agent.id, { status: 'SUSPENDED' }, actor); // { kind: 'updated', agent }
 * ```
 */
export class AgentRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(agent: NewAgent, actor: EventActor): Promise<Agent> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.agent.create({ data: agent });
      await writeEvent(tx, actor, {
        type: 'agent.created',
        ownerId: agent.ownerId,
        payload: { agentId: row.id, name: row.name },
      });
      return row;
    });
  }

  /** The owner's agent, or null (another owner's agent is not found either). */
  findForOwner(ownerId: string, agentId: string): Promise<Agent | null> {
    return this.prisma.agent.findFirst({ where: { id: agentId, ownerId } });
  }

  /** The owner's agents, oldest first. */
  listForOwner(ownerId: string): Promise<Agent[]> {
    return this.prisma.agent.findMany({
      where: { ownerId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /**
   * Renames and/or changes the status. The event is `agent.{status}` when the status changes,
   * `agent.updated` otherwise. A REVOKED agent may not be renamed or reactivated.
   */
  update(
    ownerId: string,
    agentId: string,
    change: AgentChange,
    actor: EventActor,
  ): Promise<AgentUpdate> {
    return this.prisma.$transaction(async (tx): Promise<AgentUpdate> => {
      const current = await lockAgent(tx, ownerId, agentId);
      if (current === undefined) return { kind: 'not_found' };
      if (
        current.status === 'REVOKED' &&
        (change.status !== undefined || change.name !== undefined)
      )
        return { kind: 'final' };
      const named = change.name === undefined ? {} : { name: change.name };
      const agent = await tx.agent.update({
        where: { id: agentId },
        data: { ...named, ...(change.status === undefined ? {} : { status: change.status }) },
      });
      const statusChanged = change.status !== undefined && change.status !== current.status;
      await writeEvent(tx, actor, {
        type: statusChanged ? `agent.${statusEvent(change.status!)}` : 'agent.updated',
        ownerId,
        payload: {
          agentId,
          ...named,
          ...(change.status === undefined
            ? {}
            : { status: change.status, previousStatus: current.status }),
        },
      });
      return { kind: 'updated', agent };
    });
  }

  /** Replaces the key hash of an agent that is not REVOKED. */
  rotateKey(
    ownerId: string,
    agentId: string,
    apiKeyHash: string,
    actor: EventActor,
  ): Promise<AgentKeyRotation> {
    return this.prisma.$transaction(async (tx): Promise<AgentKeyRotation> => {
      const current = await lockAgent(tx, ownerId, agentId);
      if (current === undefined) return { kind: 'not_found' };
      if (current.status === 'REVOKED') return { kind: 'final' };
      const agent = await tx.agent.update({ where: { id: agentId }, data: { apiKeyHash } });
      await writeEvent(tx, actor, { type: 'agent.key_rotated', ownerId, payload: { agentId } });
      return { kind: 'rotated', agent, retiredHash: current.api_key_hash };
    });
  }
}

function statusEvent(status: AgentStatus): 'active' | 'suspended' | 'revoked' {
  return status.toLowerCase() as 'active' | 'suspended' | 'revoked';
}
