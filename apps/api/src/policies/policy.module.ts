import { Module } from '@nestjs/common';
import { WalletModule } from '../wallets/wallet.module.js';
import { PolicyController } from './policy.controller.js';
import { PolicyService } from './policy.service.js';

@Module({ imports: [WalletModule], controllers: [PolicyController], providers: [PolicyService] })
export class PolicyModule {}
