import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Agent, CurrentPrincipal, Principals } from '../auth/auth.decorators.js';
import type { AgentPrincipal, OwnerOrAgent } from '../auth/principal.js';
import { Http, type HttpContext } from '../common/http-context.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { TransactionResponseDto } from '../transactions/transaction.dto.js';
import { EvaluationDto, TransferRequestDto } from './transfer.dto.js';
import { TransferService } from './transfer.service.js';

@ApiTags('transfers')
@Controller('v1/wallets/:id/transfers')
@ApiBadRequestResponse({
  type: ProblemDto,
  description:
    'VALIDATION_FAILED, AMOUNT_INVALID, AMOUNT_PRECISION_EXCEEDED, MINT_NOT_FOUND, RECIPIENT_IS_SENDER, RECIPIENT_IS_PROGRAM, RECIPIENT_BELOW_RENT_EXEMPTION, TRANSFER_INVALID, IDEMPOTENCY_KEY_REQUIRED',
})
@ApiNotFoundResponse({
  type: ProblemDto,
  description: 'No such wallet, or not visible to this key',
})
export class TransferController {
  constructor(@Inject(TransferService) private readonly transfers: TransferService) {}

  @Post()
  @HttpCode(201)
  @Agent()
  @ApiOperation({
    summary: 'Request a transfer (agent). Checked against the policy before anything is signed.',
    description:
      'ALLOW → signed and stored PENDING (the worker submits it); REQUIRE_APPROVAL → stored AWAITING_APPROVAL unsigned; DENY → 403 POLICY_DENIED with reasons. ' +
      'The same Idempotency-Key with the same body replays the first response (header Idempotent-Replayed: true). ' +
      'A duplicate that arrives while the first request is still in progress gets 409 IDEMPOTENCY_REQUEST_IN_PROGRESS; ' +
      'if the API process died mid-request, the key stays in progress for up to 2 minutes (the stale window) before a retry may take it over, ' +
      'so clients retry 409s with backoff for at least 2 minutes rather than switching to a new key (which could send twice).',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'Unique per transfer, ≤ 255 characters; kept 24 h',
  })
  @ApiCreatedResponse({ type: TransactionResponseDto })
  @ApiForbiddenResponse({
    type: ProblemDto,
    description: 'POLICY_DENIED (with `reasons`), AGENT_SUSPENDED, FORBIDDEN',
  })
  @ApiConflictResponse({ type: ProblemDto, description: 'IDEMPOTENCY_REQUEST_IN_PROGRESS' })
  @ApiUnprocessableEntityResponse({ type: ProblemDto, description: 'IDEMPOTENCY_KEY_REUSED' })
  @ApiBadGatewayResponse({
    type: ProblemDto,
    description: 'CUSTODY_SIGNING_FAILED (nothing stored)',
  })
  @ApiServiceUnavailableResponse({
    type: ProblemDto,
    description: 'CUSTODY_UNAVAILABLE, RPC_UNAVAILABLE (nothing stored)',
  })
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
  @ApiOperation({
    summary: 'Dry run: the policy decision with every reason. Nothing is signed or stored.',
  })
  @ApiOkResponse({ type: EvaluationDto })
  evaluate(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
    @Body() dto: TransferRequestDto,
  ): Promise<EvaluationDto> {
    return this.transfers.evaluate(principal, id, dto);
  }
}
