import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiBadRequestResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import {
  BalanceResponseDto,
  CreateWalletDto,
  GrantResponseDto,
  WalletListDto,
  WalletResponseDto,
} from './wallet.dto.js';
import { WalletService } from './wallet.service.js';

@ApiTags('wallets')
@Controller('v1/wallets')
@ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
export class WalletController {
  constructor(@Inject(WalletService) private readonly wallets: WalletService) {}

  @Post()
  @HttpCode(201)
  @Owner()
  @ApiOperation({
    summary:
      'Create a wallet in key custody (Turnkey or the local keystore, per server configuration).',
  })
  @ApiCreatedResponse({ type: WalletResponseDto })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'CUSTODY_UNAVAILABLE' })
  create(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: CreateWalletDto,
  ): Promise<WalletResponseDto> {
    return this.wallets.create(principal, dto);
  }

  @Get()
  @Principals('owner', 'agent')
  @ApiOperation({ summary: 'List wallets: an owner its own, an agent those granted to it.' })
  @ApiOkResponse({ type: WalletListDto })
  list(@CurrentPrincipal() principal: OwnerOrAgent): Promise<WalletListDto> {
    return this.wallets.list(principal);
  }

  @Get(':id')
  @Principals('owner', 'agent')
  @ApiOperation({ summary: 'Read a wallet.' })
  @ApiOkResponse({ type: WalletResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<WalletResponseDto> {
    return this.wallets.get(principal, id);
  }

  @Put(':id/agents/:agentId')
  @Owner()
  @ApiOperation({ summary: 'Grant an agent access to the wallet (idempotent).' })
  @ApiOkResponse({ type: GrantResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  grant(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @UuidParam('agentId') agentId: string,
  ): Promise<GrantResponseDto> {
    return this.wallets.grant(principal, id, agentId);
  }

  @Delete(':id/agents/:agentId')
  @HttpCode(204)
  @Owner()
  @ApiOperation({ summary: "Revoke an agent's access to the wallet." })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto })
  revoke(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @UuidParam('agentId') agentId: string,
  ): Promise<void> {
    return this.wallets.revokeGrant(principal, id, agentId);
  }

  @Get(':id/balance')
  @Principals('owner', 'agent')
  @ApiOperation({ summary: 'SOL and SPL token balances (SPL Token and Token-2022), cached 10 s.' })
  @ApiOkResponse({ type: BalanceResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'RPC_UNAVAILABLE' })
  balance(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<BalanceResponseDto> {
    return this.wallets.balance(principal, id);
  }
}
