import { Controller, Get, Inject, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { SpendQueryDto, WalletSpendResponseDto } from './spend.dto.js';
import { SpendService } from './spend.service.js';

@ApiTags('policies')
@Controller('v1/wallets/:id/spend')
export class SpendController {
  constructor(@Inject(SpendService) private readonly spend: SpendService) {}

  @Get()
  @Owner()
  @ApiOperation({
    summary:
      "What the wallet has spent in its policy's daily window against each daily limit, and per UTC day.",
  })
  @ApiOkResponse({ type: WalletSpendResponseDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Query() query: SpendQueryDto,
  ): Promise<WalletSpendResponseDto> {
    return this.spend.get(principal, id, query);
  }
}
