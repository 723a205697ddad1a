import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AgentScope, CurrentPrincipal, Owner, Principals } from '../auth/auth.decorators.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import {
  BalanceResponseDto,
  CreateWalletDto,
  GrantResponseDto,
  WalletListDto,
  WalletResponseDto,
} from './wallet.dto.js';
import { WalletService } from './wallet.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('wallets')
@Controller('v1/wallets')
export class WalletController {
  constructor(@Inject(WalletService) private readonly wallets: WalletService) {}

  @Post()
  @HttpCode(201)
  @Owner()
  @ApiOperation({
    operationId: 'createWallet',
    summary:
      'Create a wallet in key custody (Turnkey or the local keystore, per server configuration).',
    description:
      'Generates a Solana key pair in the configured custody; the private key never leaves it. The wallet starts with no policy (transfers are denied until setWalletPolicy) and no agents.',
  })
  @ApiProblems('CUSTODY_UNAVAILABLE')
  @ApiCreatedResponse({ type: WalletResponseDto })
  create(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: CreateWalletDto,
  ): Promise<WalletResponseDto> {
    return this.wallets.create(principal, dto);
  }

  @Get()
  @Principals('owner', 'agent')
  @AgentScope('read')
  @ApiOperation({
    operationId: 'listWallets',
    summary: 'List wallets: an owner its own, an agent those granted to it.',
    description: 'An owner sees its wallets; an agent sees only the wallets granted to it.',
  })
  @ApiOkResponse({ type: WalletListDto })
  list(@CurrentPrincipal() principal: OwnerOrAgent): Promise<WalletListDto> {
    return this.wallets.list(principal);
  }

  @Get(':id')
  @Principals('owner', 'agent')
  @AgentScope('read')
  @ApiOperation({
    operationId: 'getWallet',
    summary: 'Read a wallet.',
    description: 'A wallet the caller may see; any other is 404.',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_KEY_WALLET')
  @ApiOkResponse({ type: WalletResponseDto })
  get(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<WalletResponseDto> {
    return this.wallets.get(principal, id);
  }

  @Put(':id/agents/:agentId')
  @Owner()
  @ApiOperation({
    operationId: 'grantWalletAgent',
    summary: 'Grant an agent access to the wallet (idempotent).',
    description:
      "Lets one of the owner's agents request transfers from this wallet (within its policy). Granting twice is not an error.",
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: GrantResponseDto })
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
  @ApiOperation({
    operationId: 'revokeWalletAgent',
    summary: "Revoke an agent's access to the wallet.",
    description: "The agent's next request on this wallet is refused (404), on every instance.",
  })
  @ApiProblems('NOT_FOUND')
  @ApiNoContentResponse()
  revoke(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
    @UuidParam('agentId') agentId: string,
  ): Promise<void> {
    return this.wallets.revokeGrant(principal, id, agentId);
  }

  @Get(':id/balance')
  @Principals('owner', 'agent')
  @AgentScope('read')
  @ApiOperation({
    operationId: 'getWalletBalance',
    summary: 'SOL and SPL token balances (SPL Token and Token-2022), cached 10 s.',
    description:
      'Read from the Solana RPC and cached for 10 s (a transfer of this wallet invalidates the cache). Amounts are decimal strings, never floats.',
  })
  @ApiProblems('NOT_FOUND', 'AGENT_KEY_WALLET', 'RPC_UNAVAILABLE')
  @ApiOkResponse({ type: BalanceResponseDto })
  balance(
    @CurrentPrincipal() principal: OwnerOrAgent,
    @UuidParam('id') id: string,
  ): Promise<BalanceResponseDto> {
    return this.wallets.balance(principal, id);
  }
}
