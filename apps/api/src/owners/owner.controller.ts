import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Operator } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { CreatedOwnerDto, CreateOwnerDto } from './owner.dto.js';
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
}
