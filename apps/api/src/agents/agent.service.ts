import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@waiaas/database';
import { AuditService } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { PRISMA } from '../infra/tokens.js';
import {
  type AgentResponseDto,
  type AgentWithKeyDto,
  type CreateAgentDto,
  toAgentDto,
  type UpdateAgentDto,
} from './agent.dto.js';

@Injectable()
export class AgentService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async create(principal: OwnerPrincipal, dto: CreateAgentDto): Promise<AgentWithKeyDto> {
    const apiKey = generateApiKey('agent');
    const agent = await this.prisma.$transaction(async (tx) => {
      const row = await tx.agent.create({
        data: {
          ownerId: principal.ownerId,
          name: dto.name,
          description: dto.description ?? null,
          apiKeyHash: hashApiKey(apiKey),
        },
      });
      await this.audit.record(
        principal,
        {
          type: 'agent.created',
          ownerId: principal.ownerId,
          payload: { agentId: row.id, name: row.name },
        },
        tx,
      );
      return row;
    });
    return { agent: toAgentDto(agent), apiKey };
  }

  async get(principal: OwnerPrincipal, agentId: string): Promise<AgentResponseDto> {
    const row = await this.prisma.agent.findFirst({
      where: { id: agentId, ownerId: principal.ownerId },
    });
    if (row === null) throw new ApiError('NOT_FOUND', 'Agent not found');
    return { agent: toAgentDto(row) };
  }

  async list(principal: OwnerPrincipal): Promise<{ agents: AgentResponseDto['agent'][] }> {
    const rows = await this.prisma.agent.findMany({
      where: { ownerId: principal.ownerId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return { agents: rows.map(toAgentDto) };
  }

  async update(
    principal: OwnerPrincipal,
    agentId: string,
    dto: UpdateAgentDto,
  ): Promise<AgentResponseDto> {
    const agent = await this.prisma.$transaction(async (tx) => {
      // Lock the row: a concurrent rotate or revoke must not interleave with this change.
      const rows = await tx.$queryRaw<{ status: string }[]>`
        SELECT status::text AS status FROM agents WHERE id = ${agentId}::uuid AND owner_id = ${principal.ownerId}::uuid FOR UPDATE`;
      const current = rows[0];
      if (current === undefined) throw new ApiError('NOT_FOUND', 'Agent not found');
      if (current.status === 'REVOKED' && (dto.status !== undefined || dto.name !== undefined)) {
        throw new ApiError(
          'AGENT_REVOKED_FINAL',
          'A revoked agent cannot be renamed or reactivated',
        );
      }
      const row = await tx.agent.update({
        where: { id: agentId },
        data: {
          ...(dto.name === undefined ? {} : { name: dto.name }),
          ...(dto.status === undefined ? {} : { status: dto.status }),
        },
      });
      await this.audit.record(
        principal,
        {
          type:
            dto.status !== undefined && dto.status !== current.status
              ? `agent.${dto.status.toLowerCase()}`
              : 'agent.updated',
          ownerId: principal.ownerId,
          payload: {
            agentId,
            ...(dto.name === undefined ? {} : { name: dto.name }),
            ...(dto.status === undefined
              ? {}
              : { status: dto.status, previousStatus: current.status }),
          },
        },
        tx,
      );
      return row;
    });
    // After commit, on every instance: the next request with this agent's key sees the new
    // status. A revoked key is dropped from the key cache too: it now costs what an unknown one does.
    await this.auth.invalidateAccess(
      principal.ownerId,
      agent.status === 'REVOKED' ? { agent: [agent.apiKeyHash] } : {},
    );
    return { agent: toAgentDto(agent) };
  }

  async rotateKey(principal: OwnerPrincipal, agentId: string): Promise<AgentWithKeyDto> {
    const apiKey = generateApiKey('agent');
    let retired = '';
    const agent = await this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ status: string; api_key_hash: string }[]>`
        SELECT status::text AS status, api_key_hash FROM agents WHERE id = ${agentId}::uuid AND owner_id = ${principal.ownerId}::uuid FOR UPDATE`;
      const current = rows[0];
      if (current === undefined) throw new ApiError('NOT_FOUND', 'Agent not found');
      if (current.status === 'REVOKED')
        throw new ApiError('AGENT_REVOKED_FINAL', 'A revoked agent cannot get a new key');
      retired = current.api_key_hash;
      const row = await tx.agent.update({
        where: { id: agentId },
        data: { apiKeyHash: hashApiKey(apiKey) },
      });
      await this.audit.record(
        principal,
        { type: 'agent.key_rotated', ownerId: principal.ownerId, payload: { agentId } },
        tx,
      );
      return row;
    });
    await this.auth.invalidateAccess(principal.ownerId, { agent: [retired] });
    return { agent: toAgentDto(agent), apiKey };
  }
}
