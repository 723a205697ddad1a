import { Body, Controller, Get, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { AgentResponseDto, AgentWithKeyDto, CreateAgentDto, UpdateAgentDto } from './agent.dto.js';
import { AgentService } from './agent.service.js';

@ApiTags('agents')
@Controller('v1/agents')
@Owner()
@ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
export class AgentController {
  constructor(@Inject(AgentService) private readonly agents: AgentService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an agent. The API key is returned once.' })
  @ApiCreatedResponse({ type: AgentWithKeyDto })
  create(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: CreateAgentDto,
  ): Promise<AgentWithKeyDto> {
    return this.agents.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the owner's agents." })
  list(
    @CurrentPrincipal() principal: OwnerPrincipal,
  ): Promise<{ agents: AgentResponseDto['agent'][] }> {
    return this.agents.list(principal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an agent.' })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<AgentResponseDto> {
    return this.agents.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Rename an agent or change its status (ACTIVE, SUSPENDED, REVOKED). Takes effect on the next request.',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'AGENT_REVOKED_FINAL' })
  update(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Body() dto: UpdateAgentDto,
  ): Promise<AgentResponseDto> {
    return this.agents.update(principal, id, dto);
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new API key; the old one stops working at once.' })
  @ApiOkResponse({ type: AgentWithKeyDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'AGENT_REVOKED_FINAL' })
  rotateKey(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<AgentWithKeyDto> {
    return this.agents.rotateKey(principal, id);
  }
}
