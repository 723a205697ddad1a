import { Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiBadRequestResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { Http, type HttpContext } from '../common/http-context.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import {
  ListTransactionsQueryDto,
  TransactionListDto,
  TransactionResponseDto,
} from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';

@ApiTags('transactions')
@Controller('v1')
@ApiNotFoundResponse({
  type: ProblemDto,
  description: 'No such resource, or not visible to this key',
})
@ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
export class TransactionController {
  constructor(@Inject(TransactionService) private readonly transactions: TransactionService) {}

  @Get('transactions')
  @Owner()
  @ApiOperation({
    summary:
      "List the owner's transactions across all its wallets, newest first, optionally by status (e.g. AWAITING_APPROVAL: the approvals inbox); cursor pagination.",
  })
  @ApiOkResponse({ type: TransactionListDto })
  listForOwner(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Query() query: ListTransactionsQueryDto,
  ): Promise<TransactionListDto> {
    return this.transactions.listForOwner(principal, query);
  }

  @Get('transactions/:id')
  @Principals('owner', 'agent')
  @ApiOperation({
    summary:
      'Read a transaction (its status as the worker moves it PENDING → SUBMITTED → CONFIRMED/FAILED).',
  })
  @ApiOkResponse({ type: TransactionResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<TransactionResponseDto> {
    return this.transactions.get(principal, id);
  }

  @Get('wallets/:id/transactions')
  @Principals('owner', 'agent')
  @ApiOperation({
    summary: "List a wallet's transactions, newest first, optionally by status; cursor pagination.",
  })
  @ApiOkResponse({ type: TransactionListDto })
  list(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
    @Query() query: ListTransactionsQueryDto,
  ): Promise<TransactionListDto> {
    return this.transactions.list(principal, id, query);
  }

  @Post('transactions/:id/approve')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    summary:
      'Approve an AWAITING_APPROVAL transfer: re-evaluated now, then signed (PENDING) or denied (FAILED, 403).',
  })
  @ApiOkResponse({ type: TransactionResponseDto })
  @ApiForbiddenResponse({
    type: ProblemDto,
    description: 'POLICY_DENIED: the budget was used meanwhile; the transfer is now FAILED',
  })
  @ApiConflictResponse({ type: ProblemDto, description: 'TRANSACTION_NOT_AWAITING_APPROVAL' })
  approve(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Http() http: HttpContext,
  ): Promise<TransactionResponseDto> {
    return this.transactions.approve(principal, id, http);
  }

  @Post('transactions/:id/reject')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    summary:
      'Reject an AWAITING_APPROVAL transfer (REJECTED; its reservation stops counting at once).',
  })
  @ApiOkResponse({ type: TransactionResponseDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'TRANSACTION_NOT_AWAITING_APPROVAL' })
  reject(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<TransactionResponseDto> {
    return this.transactions.reject(principal, id);
  }
}
