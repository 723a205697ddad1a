import { Module } from '@nestjs/common';
import { AgentRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { AgentController } from './agent.controller.js';
import { AgentService } from './agent.service.js';

@Module({
  controllers: [AgentController],
  providers: [AgentService, repositoryProvider(AgentRepository)],
})
export class AgentModule {}
