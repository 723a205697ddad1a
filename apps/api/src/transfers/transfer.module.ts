import { Module } from '@nestjs/common';
import { WalletModule } from '../wallets/wallet.module.js';
import { DelayRelease } from './delay-release.js';
import { TransferController } from './transfer.controller.js';
import { TransferService } from './transfer.service.js';

@Module({
  imports: [WalletModule],
  controllers: [TransferController],
  providers: [TransferService, DelayRelease],
})
export class TransferModule {}
