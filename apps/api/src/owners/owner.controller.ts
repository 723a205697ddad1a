import { Body, Controller, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Operator, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { CreatedOwnerDto, CreateOwnerDto, OwnerResponseDto, UpdateOwnerDto } from './owner.dto.js';
import { OwnerService } from './owner.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('owners')
@Controller('v1/owners')
export class OwnerController {
  constructor(@Inject(OwnerService) private readonly owners: OwnerService) {}

  @Post()
  @HttpCode(201)
  @Operator()
  @ApiOperation({
    operationId: 'createOwner',
    summary: 'Create an owner (operator). The API key is returned once.',
    description: 'The owner key is shown in this response only.',
  })
  @ApiProblems('EMAIL_TAKEN')
  @ApiCreatedResponse({ type: CreatedOwnerDto })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOwnerDto,
  ): Promise<CreatedOwnerDto> {
    return this.owners.create(principal, dto);
  }

  @Post('me/rotate-key')
  @HttpCode(200)
  @Owner()
  @ApiOperation({
    operationId: 'rotateOwnerKey',
    summary:
      'Issue a new key for the calling owner (returned once); the old one stops working at once, on every instance.',
    description: 'Console sessions of this owner end too.',
  })
  @ApiOkResponse({ type: CreatedOwnerDto })
  rotateKey(@CurrentPrincipal() principal: OwnerPrincipal): Promise<CreatedOwnerDto> {
    return this.owners.rotateKey(principal);
  }

  @Patch(':id')
  @Operator()
  @ApiOperation({
    operationId: 'updateOwner',
    summary:
      "Revoke an owner (operator; final): its key and all its agents' keys are refused at once, on every instance.",
    description:
      'Revocation is final: the owner can no longer be changed (409 OWNER_REVOKED_FINAL).',
  })
  @ApiProblems('NOT_FOUND', 'OWNER_REVOKED_FINAL')
  @ApiOkResponse({ type: OwnerResponseDto })
  update(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body() dto: UpdateOwnerDto,
  ): Promise<OwnerResponseDto> {
    return this.owners.update(principal, id, dto);
  }
}
