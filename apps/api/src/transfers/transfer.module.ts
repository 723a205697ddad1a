import { Module } from '@nestjs/common';
import { WalletModule } from '../wallets/wallet.module.js';
import { TransferController } from './transfer.controller.js';
import { TransferService } from './transfer.service.js';

@Module({
  imports: [WalletModule],
  controllers: [TransferController],
  providers: [TransferService],
})
export class TransferModule {}
