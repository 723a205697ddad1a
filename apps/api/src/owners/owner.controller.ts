import { Body, Controller, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Operator, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { UuidParam } from '../common/uuid.pipe.js';
import { CreatedOwnerDto, CreateOwnerDto, OwnerResponseDto, UpdateOwnerDto } from './owner.dto.js';
import { OwnerService } from './owner.service.js';

@ApiTags('owners')
@Controller('v1/owners')
export class OwnerController {
  constructor(@Inject(OwnerService) private readonly owners: OwnerService) {}

  @Post()
  @HttpCode(201)
  @Operator()
  @ApiOperation({ summary: 'Create an owner (operator). The API key is returned once.' })
  @ApiCreatedResponse({ type: CreatedOwnerDto })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'EMAIL_TAKEN' })
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
    summary:
      'Issue a new key for the calling owner (returned once); the old one stops working at once, on every instance.',
  })
  @ApiOkResponse({ type: CreatedOwnerDto })
  rotateKey(@CurrentPrincipal() principal: OwnerPrincipal): Promise<CreatedOwnerDto> {
    return this.owners.rotateKey(principal);
  }

  @Patch(':id')
  @Operator()
  @ApiOperation({
    summary:
      "Revoke an owner (operator; final): its key and all its agents' keys are refused at once, on every instance.",
  })
  @ApiOkResponse({ type: OwnerResponseDto })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'OWNER_REVOKED_FINAL' })
  update(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body() dto: UpdateOwnerDto,
  ): Promise<OwnerResponseDto> {
    return this.owners.update(principal, id, dto);
  }
}
