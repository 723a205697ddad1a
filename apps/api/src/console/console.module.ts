import { Global, Module } from '@nestjs/common';
import { ConsoleSessionRepository, type PrismaClient } from '@waiaas/database';
import { PRISMA } from '../infra/tokens.js';
import { ConsoleSessionController } from './console-session.controller.js';
import { ConsoleSessionService } from './console-session.service.js';

/**
 * The owner console's server side: sign-in/out and its session, which the global auth guard
 * consults (hence global). The console's static files are served by {@link registerConsole}.
 */
@Global()
@Module({
  controllers: [ConsoleSessionController],
  providers: [
    ConsoleSessionService,
    {
      provide: ConsoleSessionRepository,
      useFactory: (prisma: PrismaClient) => new ConsoleSessionRepository(prisma),
      inject: [PRISMA],
    },
  ],
  exports: [ConsoleSessionService, ConsoleSessionRepository],
})
export class ConsoleModule {}
