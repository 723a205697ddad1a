import { Global, Module } from '@nestjs/common';
import { ConsoleSessionRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { ConsoleSessionController } from './console-session.controller.js';
import { ConsoleSessionService } from './console-session.service.js';

/**
 * The owner console's server side: sign-in/out and its session, which the global auth guard
 * consults (hence global). The console's static files are served by {@link registerConsole}.
 */
@Global()
@Module({
  controllers: [ConsoleSessionController],
  providers: [ConsoleSessionService, repositoryProvider(ConsoleSessionRepository)],
  exports: [ConsoleSessionService, ConsoleSessionRepository],
})
export class ConsoleModule {}
