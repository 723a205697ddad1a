import { Module } from '@nestjs/common';
import { WalletAccessService } from './wallet-access.service.js';
import { WalletController } from './wallet.controller.js';
import { WalletService } from './wallet.service.js';

@Module({
  controllers: [WalletController],
  providers: [WalletService, WalletAccessService],
  exports: [WalletAccessService],
})
export class WalletModule {}
