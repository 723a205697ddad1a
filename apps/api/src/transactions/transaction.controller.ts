import { Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentScope, CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { Http, type HttpContext } from '../common/http-context.js';
import { UuidParam } from '../common/uuid.pipe.js';
import {
  ListTransactionsQueryDto,
  TransactionListDto,
  TransactionResponseDto,
} from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('transactions')
@Controller('v1')
export class TransactionController {
  constructor(@Inject(TransactionService) private readonly transactions: TransactionService) {}

  @Get('transactions')
  @Owner()
  @ApiOperation({
    operationId: 'listOwnerTransactions',
    summary:
      "List the owner's transactions across all its wallets, newest first, optionally by status (e.g. AWAITING_APPROVAL: the approvals inbox); cursor pagination.",
    description:
      'Pass `nextCursor` of one page as `cursor` to get the next; `nextCursor` is null on the last page.',
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
  @AgentScope('read')
  @ApiOperation({
    operationId: 'getTransaction',
    summary:
      'Read a transaction (its status as the worker moves it PENDING → SUBMITTED → CONFIRMED/FAILED).',
    description:
      'An agent sees the transactions of wallets granted to it (and, with a key limited to some wallets, of those only); anything else is 404. Poll this (or use the webhook) until CONFIRMED, FAILED, EXPIRED or REJECTED.',
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: TransactionResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<TransactionResponseDto> {
    return this.transactions.get(principal, id);
  }

  @Get('wallets/:id/transactions')
  @Principals('owner', 'agent')
  @AgentScope('read')
  @ApiOperation({
    operationId: 'listWalletTransactions',
    summary: "List a wallet's transactions, newest first, optionally by status; cursor pagination.",
    description:
      'Pass `nextCursor` of one page as `cursor` to get the next; `nextCursor` is null on the last page.',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_KEY_WALLET')
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
    operationId: 'approveTransaction',
    summary:
      'Approve an AWAITING_APPROVAL transfer: re-evaluated now, then signed (PENDING) or denied (FAILED, 403).',
    description:
      "The policy is checked again at approval time: if the budget was spent meanwhile, or the policy's time window is closed now, the transfer becomes FAILED and this answers 403 POLICY_DENIED. A request past its `expiresAt` answers 409 APPROVAL_EXPIRED (it is, or is about to be, EXPIRED). If the wallet can no longer pay the amount and fee, this answers 422 INSUFFICIENT_FUNDS and the transfer keeps waiting (top the wallet up and approve again). Above the policy's delay threshold, an approved transfer becomes DELAYED (unsigned, `dueAt` = now + delaySeconds): approval first, then the cool-down, which the owner can still cancel. A freeze cancels waiting transfers (409 TRANSACTION_NOT_AWAITING_APPROVAL, status CANCELLED); a frozen scope refuses the approval with its 403 code.",
  })
  @ApiProblems(
    'NOT_FOUND',
    'POLICY_DENIED',
    'INSUFFICIENT_FUNDS',
    'TRANSACTION_NOT_AWAITING_APPROVAL',
    'APPROVAL_EXPIRED',
    'SERVICE_FROZEN',
    'OWNER_FROZEN',
    'WALLET_FROZEN',
    'AGENT_FROZEN',
  )
  @ApiOkResponse({ type: TransactionResponseDto })
  approve(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @Http() http: HttpContext,
  ): Promise<TransactionResponseDto> {
    return this.transactions.approve(principal, id, http);
  }

  @Post('transactions/:id/cancel')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'cancelTransaction',
    summary:
      'Cancel a DELAYED transfer before its delay ends (CANCELLED; never signed; its budget is free at once).',
    description:
      'Only a DELAYED transfer can be cancelled: any other status (released to PENDING, already CANCELLED or FAILED, never delayed) answers 409 TRANSACTION_NOT_DELAYED with its `status`. A cancel and the release of the same transfer are serialised: exactly one of them wins.',
  })
  @ApiProblems('NOT_FOUND', 'TRANSACTION_NOT_DELAYED')
  @ApiOkResponse({ type: TransactionResponseDto })
  cancel(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<TransactionResponseDto> {
    return this.transactions.cancel(principal, id);
  }

  @Post('transactions/:id/reject')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'rejectTransaction',
    summary:
      'Reject an AWAITING_APPROVAL transfer (REJECTED; its reservation stops counting at once).',
    description:
      'Nothing is signed; the agent sees REJECTED when it reads the transaction. A request past its `expiresAt` answers 409 APPROVAL_EXPIRED.',
  })
  @ApiProblems('NOT_FOUND', 'TRANSACTION_NOT_AWAITING_APPROVAL', 'APPROVAL_EXPIRED')
  @ApiOkResponse({ type: TransactionResponseDto })
  reject(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<TransactionResponseDto> {
    return this.transactions.reject(principal, id);
  }
}
