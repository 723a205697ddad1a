import { Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner, Public } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { ConsoleRequest, type ConsoleRequestContext } from './console-request.js';
import {
  ConsoleSessionProbeDto,
  ConsoleSessionResponseDto,
  ConsoleSettingsResponseDto,
} from './console-session.dto.js';
import { ConsoleSessionService } from './console-session.service.js';

@ApiTags('console')
@Controller('v1/console')
@Owner()
export class ConsoleSessionController {
  constructor(@Inject(ConsoleSessionService) private readonly sessions: ConsoleSessionService) {}

  @Post('session')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Sign in to the owner console: exchanges the owner key (Authorization: Bearer) for an HttpOnly, SameSite=Strict session cookie and returns the CSRF token.',
  })
  @ApiCreatedResponse({ type: ConsoleSessionResponseDto })
  signIn(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @ConsoleRequest() http: ConsoleRequestContext,
  ): Promise<ConsoleSessionResponseDto> {
    return this.sessions.signIn(principal, http);
  }

  @Get('session')
  @Public()
  @ApiOperation({
    summary:
      "The console session of this request's cookie, with its CSRF token; null when there is none.",
  })
  @ApiOkResponse({ type: ConsoleSessionProbeDto })
  current(@ConsoleRequest() http: ConsoleRequestContext): Promise<ConsoleSessionProbeDto> {
    return this.sessions.current(http);
  }

  @Delete('session')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out: deletes the session server-side and clears the cookie (CSRF-checked).',
  })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ProblemDto, description: 'CSRF_REJECTED' })
  signOut(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @ConsoleRequest() http: ConsoleRequestContext,
  ): Promise<void> {
    return this.sessions.signOut(principal, http);
  }

  @Get('settings')
  @ApiOperation({
    summary: 'What the console needs to know about this server (cluster, explorer).',
  })
  @ApiOkResponse({ type: ConsoleSettingsResponseDto })
  settings(): ConsoleSettingsResponseDto {
    return this.sessions.settings();
  }
}
