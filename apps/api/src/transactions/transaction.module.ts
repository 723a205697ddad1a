import { Module } from '@nestjs/common';
import { WalletModule } from '../wallets/wallet.module.js';
import { TransactionController } from './transaction.controller.js';
import { TransactionService } from './transaction.service.js';

@Module({
  imports: [WalletModule],
  controllers: [TransactionController],
  providers: [TransactionService],
})
export class TransactionModule {}
