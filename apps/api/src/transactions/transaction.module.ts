import { Module } from '@nestjs/common';
import { TransferModule } from '../transfers/transfer.module.js';
import { WalletModule } from '../wallets/wallet.module.js';
import { TransactionController } from './transaction.controller.js';
import { TransactionService } from './transaction.service.js';

@Module({
  imports: [WalletModule, TransferModule],
  controllers: [TransactionController],
  providers: [TransactionService],
})
export class TransactionModule {}
