import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Agent, AgentScope, CurrentPrincipal, Principals } from '../auth/auth.decorators.js';
import type { AgentPrincipal, OwnerOrAgent } from '../auth/principal.js';
import { Http, type HttpContext } from '../common/http-context.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { TransactionResponseDto } from '../transactions/transaction.dto.js';
import { EvaluationDto, TransferRequestDto } from './transfer.dto.js';
import { TransferService } from './transfer.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('transfers')
@Controller('v1/wallets/:id/transfers')
export class TransferController {
  constructor(@Inject(TransferService) private readonly transfers: TransferService) {}

  @Post()
  @HttpCode(201)
  @Agent()
  @AgentScope('transfer')
  @ApiOperation({
    operationId: 'createTransfer',
    summary: 'Request a transfer (agent). Checked against the policy before anything is signed.',
    description:
      'ALLOW → signed and stored PENDING (the worker submits it); REQUIRE_APPROVAL → stored AWAITING_APPROVAL unsigned; DENY → 403 POLICY_DENIED with reasons; a freeze in scope → 403 SERVICE_FROZEN, OWNER_FROZEN, WALLET_FROZEN or AGENT_FROZEN (the widest), nothing stored. ' +
      'The same Idempotency-Key with the same body replays the first response (header Idempotent-Replayed: true). ' +
      'A duplicate that arrives while the first request is still in progress waits for it and replays its response; a request that failed stored nothing, so its retry runs again. ' +
      '409 IDEMPOTENCY_REQUEST_IN_PROGRESS only while an API process of an earlier version holds the key (a rolling upgrade; at most 2 minutes if it died): ' +
      'clients retry 409s and failures with backoff rather than switching to a new key (which could send twice).',
  })
  @ApiProblems(
    'NOT_FOUND',
    'AGENT_KEY_WALLET',
    'AMOUNT_INVALID',
    'AMOUNT_PRECISION_EXCEEDED',
    'MINT_NOT_FOUND',
    'RECIPIENT_IS_SENDER',
    'RECIPIENT_IS_PROGRAM',
    'RECIPIENT_BELOW_RENT_EXEMPTION',
    'INSUFFICIENT_FUNDS',
    'TRANSFER_INVALID',
    'IDEMPOTENCY_KEY_REQUIRED',
    'IDEMPOTENCY_KEY_INVALID',
    'POLICY_DENIED',
    'SERVICE_FROZEN',
    'OWNER_FROZEN',
    'WALLET_FROZEN',
    'AGENT_FROZEN',
    'IDEMPOTENCY_REQUEST_IN_PROGRESS',
    'IDEMPOTENCY_KEY_REUSED',
    'CUSTODY_SIGNING_FAILED',
    'CUSTODY_UNAVAILABLE',
    'RPC_UNAVAILABLE',
  )
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'Unique per transfer, ≤ 255 characters; kept 24 h',
  })
  @ApiCreatedResponse({ type: TransactionResponseDto })
  create(
    @CurrentPrincipal() principal: AgentPrincipal,
    @UuidParam('id') id: string,
    @Body() dto: TransferRequestDto,
    @Http() http: HttpContext,
  ): Promise<TransactionResponseDto> {
    return this.transfers.create(principal, id, dto, http);
  }

  @Post('evaluate')
  @HttpCode(200)
  @Principals('owner', 'agent')
  @AgentScope('evaluate')
  @ApiOperation({
    operationId: 'evaluateTransfer',
    summary: 'Dry run: the policy decision with every reason. Nothing is signed or stored.',
    description:
      'Answers what createTransfer would decide now (ALLOW, REQUIRE_APPROVAL or DENY with every reason, and the remaining daily budget). Another transfer may change the answer before you send. A freeze answers as createTransfer does (403 with its code).',
  })
  @ApiProblems(
    'NOT_FOUND',
    'AGENT_KEY_WALLET',
    'AMOUNT_INVALID',
    'AMOUNT_PRECISION_EXCEEDED',
    'MINT_NOT_FOUND',
    'RECIPIENT_IS_SENDER',
    'RECIPIENT_IS_PROGRAM',
    'RECIPIENT_BELOW_RENT_EXEMPTION',
    'INSUFFICIENT_FUNDS',
    'TRANSFER_INVALID',
    'SERVICE_FROZEN',
    'OWNER_FROZEN',
    'WALLET_FROZEN',
    'AGENT_FROZEN',
    'RPC_UNAVAILABLE',
  )
  @ApiOkResponse({ type: EvaluationDto })
  evaluate(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
    @Body() dto: TransferRequestDto,
  ): Promise<EvaluationDto> {
    return this.transfers.evaluate(principal, id, dto);
  }
}
