import { Body, Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { AgentKeyListDto, AgentKeyWithSecretDto, CreateAgentKeyDto } from './agent-key.dto.js';
import { AgentKeyService } from './agent-key.service.js';

@ApiTags('agents')
@Controller('v1/agents/:id/keys')
@Owner()
export class AgentKeyController {
  constructor(@Inject(AgentKeyService) private readonly keys: AgentKeyService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createAgentKey',
    summary: 'Create a scoped, expiring key for an agent. The key is returned once.',
    description:
      "An agent may hold several keys, each with scopes (read, evaluate, transfer), optionally limited to some of the owner's wallets, and an expiry (required, at most 365 days ahead). The key is shown in this response only. Another owner's agent is 404.",
  })
  @ApiProblems('NOT_FOUND', 'AGENT_REVOKED_FINAL')
  @ApiCreatedResponse({ type: AgentKeyWithSecretDto })
  create(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Body() dto: CreateAgentKeyDto,
  ): Promise<AgentKeyWithSecretDto> {
    return this.keys.create(principal, id, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'listAgentKeys',
    summary: "List an agent's keys (never a secret or a hash).",
    description:
      'The primary key (issued with the agent or by rotateAgentKey) first, then the others oldest first, revoked and expired ones included with their status. lastUsedAt is written at most once a minute per key, after the request, so it may lag by up to a minute.',
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: AgentKeyListDto })
  list(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<AgentKeyListDto> {
    return this.keys.list(principal, id);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeAgentKey',
    summary: 'Revoke an agent key; it is refused on the next request on every instance.',
    description:
      'Final (revoking a revoked key changes nothing). A revoked key gets 401 INVALID_API_KEY, as an unknown key does. Revoking the primary key leaves the agent with its other keys; rotateAgentKey issues a new primary key.',
  })
  @ApiProblems('NOT_FOUND')
  @ApiNoContentResponse()
  revoke(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @UuidParam('keyId') keyId: string,
  ): Promise<void> {
    return this.keys.revoke(principal, id, keyId);
  }
}
