import { Inject, Injectable } from '@nestjs/common';
import { AgentRepository } from '@waiaas/database';
import { actorOf } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
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
    @Inject(AgentRepository) private readonly agents: AgentRepository,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async create(principal: OwnerPrincipal, dto: CreateAgentDto): Promise<AgentWithKeyDto> {
    const apiKey = generateApiKey('agent');
    const agent = await this.agents.create(
      {
        ownerId: principal.ownerId,
        name: dto.name,
        description: dto.description ?? null,
        apiKeyHash: hashApiKey(apiKey),
      },
      actorOf(principal),
    );
    return { agent: toAgentDto(agent), apiKey };
  }

  async get(principal: OwnerPrincipal, agentId: string): Promise<AgentResponseDto> {
    const row = await this.agents.findForOwner(principal.ownerId, agentId);
    if (row === null) throw new ApiError('NOT_FOUND', 'Agent not found');
    return { agent: toAgentDto(row) };
  }

  async list(principal: OwnerPrincipal): Promise<{ agents: AgentResponseDto['agent'][] }> {
    const rows = await this.agents.listForOwner(principal.ownerId);
    return { agents: rows.map(toAgentDto) };
  }

  async update(
    principal: OwnerPrincipal,
    agentId: string,
    dto: UpdateAgentDto,
  ): Promise<AgentResponseDto> {
    // The repository locks the row: a concurrent rotate or revoke does not interleave.
    const result = await this.agents.update(
      principal.ownerId,
      agentId,
      {
        ...(dto.name === undefined ? {} : { name: dto.name }),
        ...(dto.status === undefined ? {} : { status: dto.status }),
      },
      actorOf(principal),
    );
    if (result.kind === 'not_found') throw new ApiError('NOT_FOUND', 'Agent not found');
    if (result.kind === 'final')
      throw new ApiError('AGENT_REVOKED_FINAL', 'A revoked agent cannot be renamed or reactivated');
    const { agent } = result;
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
    const result = await this.agents.rotateKey(
      principal.ownerId,
      agentId,
      hashApiKey(apiKey),
      actorOf(principal),
    );
    if (result.kind === 'not_found') throw new ApiError('NOT_FOUND', 'Agent not found');
    if (result.kind === 'final')
      throw new ApiError('AGENT_REVOKED_FINAL', 'A revoked agent cannot get a new key');
    await this.auth.invalidateAccess(principal.ownerId, { agent: [result.retiredHash] });
    return { agent: toAgentDto(result.agent), apiKey };
  }
}
