import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { PolicyInputDto, PolicyResponseDto } from './policy.dto.js';
import { PolicyService } from './policy.service.js';

@ApiTags('policies')
@Controller('v1/wallets/:id/policy')
export class PolicyController {
  constructor(@Inject(PolicyService) private readonly policies: PolicyService) {}

  @Put()
  @Owner()
  @ApiOperation({
    summary:
      "Set the wallet's policy (versioned and audited; takes effect for the next transfer on every instance).",
  })
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
  @ApiBadRequestResponse({
    type: ProblemDto,
    description: 'POLICY_INVALID with one `errors` entry per issue',
  })
  @ApiNotFoundResponse({ type: ProblemDto })
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
  @ApiOperation({
    summary: "Read the wallet's current policy (cached 5 min, invalidated on write).",
  })
  @ApiOkResponse({ type: PolicyResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such wallet, or no policy set' })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<PolicyResponseDto> {
    return this.policies.get(principal, id);
  }
}
