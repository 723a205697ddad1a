import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { SpendQueryDto, WalletSpendResponseDto } from './spend.dto.js';
import { SpendService } from './spend.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('policies')
@Controller('v1/wallets/:id/spend')
export class SpendController {
  constructor(@Inject(SpendService) private readonly spend: SpendService) {}

  @Get()
  @Owner()
  @ApiOperation({
    operationId: 'getWalletSpend',
    summary:
      "What the wallet has spent in its policy's daily window against each daily limit, and per UTC day.",
    description:
      'Counts transfers that hold budget (PENDING, SUBMITTED, CONFIRMED and AWAITING_APPROVAL), exactly as the policy engine does, so `spent` against `dailyLimit` is what the next transfer will be checked against.',
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: WalletSpendResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Query() query: SpendQueryDto,
  ): Promise<WalletSpendResponseDto> {
    return this.spend.get(principal, id, query);
  }
}
