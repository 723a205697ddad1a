import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Operator, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { FreezeResponseDto } from './freeze.dto.js';
import { FreezeService } from './freeze.service.js';

const FREEZE_EFFECT =
  "While frozen, new transfers in scope are refused (403 with the code of the widest freeze: SERVICE_FROZEN, OWNER_FROZEN, WALLET_FROZEN or AGENT_FROZEN; the dry run answers the same), and this call cancels the AWAITING_APPROVAL, DELAYED and PENDING transfers in scope (CANCELLED, budget released, never broadcast; approving one afterwards is 409). SUBMITTED transfers are no longer rebroadcast but are followed to their end. Takes effect on the next request on every instance and in the worker's next batch. Writes a wallet.frozen event (webhook) when the state changes; freezing a frozen scope changes nothing but cancels again.";
const UNFREEZE_EFFECT =
  'Lifts this freeze only (a wider one still applies). Revives nothing: cancelled transfers stay CANCELLED. Writes a wallet.unfrozen event (webhook) when the state changes.';

/**
 * The kill switch: an owner freezes one wallet, one agent or everything it owns; the operator
 * freezes the service. The routes sit next to the resources they freeze.
 */
@ApiTags('freeze')
@Controller('v1')
export class FreezeController {
  constructor(@Inject(FreezeService) private readonly freezes: FreezeService) {}

  @Post('wallets/:id/freeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'freezeWallet',
    summary: 'Freeze a wallet (kill switch): no transfer leaves it until unfrozen.',
    description: FREEZE_EFFECT,
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: FreezeResponseDto })
  freezeWallet(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(
      principal,
      { scope: 'WALLET', ownerId: principal.ownerId, walletId: id },
      true,
    );
  }

  @Post('wallets/:id/unfreeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'unfreezeWallet',
    summary: "Unfreeze a wallet (lifts the wallet's own freeze).",
    description: UNFREEZE_EFFECT,
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: FreezeResponseDto })
  unfreezeWallet(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(
      principal,
      { scope: 'WALLET', ownerId: principal.ownerId, walletId: id },
      false,
    );
  }

  @Post('agents/:id/freeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'freezeAgent',
    summary:
      'Freeze an agent (kill switch): none of its transfers, from any wallet, until unfrozen.',
    description: FREEZE_EFFECT,
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: FreezeResponseDto })
  freezeAgent(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(
      principal,
      { scope: 'AGENT', ownerId: principal.ownerId, agentId: id },
      true,
    );
  }

  @Post('agents/:id/unfreeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'unfreezeAgent',
    summary: "Unfreeze an agent (lifts the agent's own freeze).",
    description: UNFREEZE_EFFECT,
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: FreezeResponseDto })
  unfreezeAgent(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @UuidParam('id') id: string,
  ): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(
      principal,
      { scope: 'AGENT', ownerId: principal.ownerId, agentId: id },
      false,
    );
  }

  @Post('owners/me/freeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'freezeOwner',
    summary: 'Freeze everything the calling owner owns (kill switch): every wallet, every agent.',
    description: FREEZE_EFFECT,
  })
  @ApiOkResponse({ type: FreezeResponseDto })
  freezeOwner(@CurrentPrincipal() principal: OwnerPrincipal): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(principal, { scope: 'OWNER', ownerId: principal.ownerId }, true);
  }

  @Post('owners/me/unfreeze')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'unfreezeOwner',
    summary: "Lift the calling owner's own freeze (wallet and agent freezes stay).",
    description: UNFREEZE_EFFECT,
  })
  @ApiOkResponse({ type: FreezeResponseDto })
  unfreezeOwner(@CurrentPrincipal() principal: OwnerPrincipal): Promise<FreezeResponseDto> {
    return this.freezes.setByOwner(
      principal,
      { scope: 'OWNER', ownerId: principal.ownerId },
      false,
    );
  }

  @Get('admin/freeze')
  @Operator()
  @ApiOperation({
    operationId: 'getServiceFreeze',
    summary: 'Operator: whether the whole service is frozen.',
    description: 'The service-wide kill switch state (`changed` is always false here).',
  })
  @ApiOkResponse({ type: FreezeResponseDto })
  serviceState(): Promise<FreezeResponseDto> {
    return this.freezes.serviceState();
  }

  @Post('admin/freeze')
  @HttpCode(200)
  @Operator()
  @ApiOperation({
    operationId: 'freezeService',
    summary: 'Operator: freeze the whole service (kill switch): no transfer of any owner.',
    description: `${FREEZE_EFFECT} Every active owner gets a wallet.frozen event with scope SERVICE.`,
  })
  @ApiOkResponse({ type: FreezeResponseDto })
  freezeService(@CurrentPrincipal() principal: Principal): Promise<FreezeResponseDto> {
    return this.freezes.setService(principal, true);
  }

  @Post('admin/unfreeze')
  @HttpCode(200)
  @Operator()
  @ApiOperation({
    operationId: 'unfreezeService',
    summary: 'Operator: lift the service-wide freeze (owner, wallet and agent freezes stay).',
    description: UNFREEZE_EFFECT,
  })
  @ApiOkResponse({ type: FreezeResponseDto })
  unfreezeService(@CurrentPrincipal() principal: Principal): Promise<FreezeResponseDto> {
    return this.freezes.setService(principal, false);
  }
}
