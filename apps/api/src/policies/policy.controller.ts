import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentScope, CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { PolicyInputDto, PolicyResponseDto, TokenLimitDto } from './policy.dto.js';
import { PolicyService } from './policy.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('policies')
// TokenLimitDto is reached only through PolicyMetadataDto.tokenLimits' additionalProperties.
@ApiExtraModels(TokenLimitDto)
@Controller('v1/wallets/:id/policy')
export class PolicyController {
  constructor(@Inject(PolicyService) private readonly policies: PolicyService) {}

  @Put()
  @Owner()
  @ApiOperation({
    operationId: 'setWalletPolicy',
    summary:
      "Set the wallet's policy (versioned and audited; takes effect for the next transfer on every instance).",
    description:
      'Replaces the whole policy (a new version; the previous ones stay in the audit log). Limits are decimal strings in SOL (or per mint in `metadata.tokenLimits`); every invalid field is reported at once in `errors`.',
  })
  @ApiProblems('NOT_FOUND', 'POLICY_INVALID')
  @ApiBody({
    type: PolicyInputDto,
    examples: {
      simple: {
        value: {
          perTxLimit: '0.5',
          dailyLimit: '2',
          allowedAddresses: [],
          requiresApproval: false,
        },
      },
      approvalAbove: {
        value: {
          perTxLimit: '5',
          dailyLimit: '20',
          requiresApproval: true,
          metadata: { approvalThreshold: '1', maxTxPerHour: 30 },
        },
      },
    },
  })
  @ApiOkResponse({ type: PolicyResponseDto })
  // The body is validated by the policy engine's parser (unknown keys rejected there), hence `unknown`.
  put(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Body() body: unknown,
  ): Promise<PolicyResponseDto> {
    return this.policies.put(principal, id, body);
  }

  @Get()
  @Principals('owner', 'agent')
  @AgentScope('read')
  @ApiOperation({
    operationId: 'getWalletPolicy',
    summary: "Read the wallet's current policy (cached 5 min, invalidated on write).",
    description:
      'Agents may read the policy of a wallet granted to them, to know their limits before asking.',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_KEY_WALLET')
  @ApiOkResponse({ type: PolicyResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<PolicyResponseDto> {
    return this.policies.get(principal, id);
  }
}
