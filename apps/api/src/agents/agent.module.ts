import { Module } from '@nestjs/common';
import { AgentRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { AgentKeyController } from './agent-key.controller.js';
import { AgentKeyService } from './agent-key.service.js';
import { AgentController } from './agent.controller.js';
import { AgentService } from './agent.service.js';

@Module({
  controllers: [AgentController, AgentKeyController],
  providers: [AgentService, AgentKeyService, repositoryProvider(AgentRepository)],
})
export class AgentModule {}
