import { Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner, Public } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
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
    operationId: 'createConsoleSession',
    summary:
      'Sign in to the owner console: exchanges the owner key (Authorization: Bearer) for an HttpOnly, SameSite=Strict session cookie and returns the CSRF token.',
    description:
      "Only an owner key may sign in. The session cookie then stands in for the key on the console's routes (see `x-waiaas-principals`); mutations also need the CSRF token as X-CSRF-Token.",
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
    operationId: 'getConsoleSession',
    summary:
      "The console session of this request's cookie, with its CSRF token; null when there is none.",
    description:
      'Public: a request without a session cookie gets `{ "session": null }`, so the console can tell whether to show the sign-in page.',
  })
  @ApiOkResponse({ type: ConsoleSessionProbeDto })
  current(@ConsoleRequest() http: ConsoleRequestContext): Promise<ConsoleSessionProbeDto> {
    return this.sessions.current(http);
  }

  @Delete('session')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteConsoleSession',
    summary: 'Sign out: deletes the session server-side and clears the cookie (CSRF-checked).',
    description: 'Works with the cookie (and its CSRF token) or with the owner key.',
  })
  @ApiNoContentResponse()
  signOut(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @ConsoleRequest() http: ConsoleRequestContext,
  ): Promise<void> {
    return this.sessions.signOut(principal, http);
  }

  @Get('settings')
  @ApiOperation({
    operationId: 'getConsoleSettings',
    summary: 'What the console needs to know about this server (cluster, explorer).',
    description: 'Read once by the console after sign-in.',
  })
  @ApiOkResponse({ type: ConsoleSettingsResponseDto })
  settings(): ConsoleSettingsResponseDto {
    return this.sessions.settings();
  }
}
