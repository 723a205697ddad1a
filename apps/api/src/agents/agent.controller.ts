import { Body, Controller, Get, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import {
  AgentListDto,
  AgentResponseDto,
  AgentWithKeyDto,
  CreateAgentDto,
  UpdateAgentDto,
} from './agent.dto.js';
import { AgentService } from './agent.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('agents')
@Controller('v1/agents')
@Owner()
export class AgentController {
  constructor(@Inject(AgentService) private readonly agents: AgentService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createAgent',
    summary: 'Create an agent. The API key is returned once.',
    description:
      "The key is shown in this response only; store it in the agent's secret store. A new agent has no wallet until the owner grants one (grantWalletAgent).",
  })
  @ApiCreatedResponse({ type: AgentWithKeyDto })
  create(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: CreateAgentDto,
  ): Promise<AgentWithKeyDto> {
    return this.agents.create(principal, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listAgents',
    summary: "List the owner's agents.",
    description: 'Every agent of the calling owner, revoked ones included, oldest first.',
  })
  @ApiOkResponse({ type: AgentListDto })
  list(@CurrentPrincipal() principal: OwnerPrincipal): Promise<AgentListDto> {
    return this.agents.list(principal);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getAgent',
    summary: 'Read an agent.',
    description: "An agent of the calling owner; another owner's agent is 404, never 403.",
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: AgentResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<AgentResponseDto> {
    return this.agents.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateAgent',
    summary:
      'Rename an agent or change its status (ACTIVE, SUSPENDED, REVOKED). Takes effect on the next request.',
    description:
      'SUSPENDED refuses the key (403 AGENT_SUSPENDED) until set ACTIVE again; REVOKED is final (the key is refused with 401 AGENT_REVOKED and the agent can no longer be changed).',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_REVOKED_FINAL')
  @ApiOkResponse({ type: AgentResponseDto })
  update(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Body() dto: UpdateAgentDto,
  ): Promise<AgentResponseDto> {
    return this.agents.update(principal, id, dto);
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateAgentKey',
    summary: 'Issue a new API key; the old one stops working at once.',
    description:
      'Returns the new key once. Requests already authenticated with the old key finish; the next one is refused on every instance.',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_REVOKED_FINAL')
  @ApiOkResponse({ type: AgentWithKeyDto })
  rotateKey(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<AgentWithKeyDto> {
    return this.agents.rotateKey(principal, id);
  }
}
