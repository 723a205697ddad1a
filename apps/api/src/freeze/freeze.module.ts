import { Module } from '@nestjs/common';
import { FreezeRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { FreezeController } from './freeze.controller.js';
import { FreezeService } from './freeze.service.js';

@Module({
  controllers: [FreezeController],
  providers: [FreezeService, repositoryProvider(FreezeRepository)],
})
export class FreezeModule {}
