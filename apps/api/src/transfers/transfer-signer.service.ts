import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Rpc, type SolanaRpcApi, address as toAddress } from '@solana/kit';
import type { SignedTransfer } from '@waiaas/database';
import {
  type KeyCustody,
  type MintInfo,
  buildTransfer,
  defaultComputeUnitLimit,
  isSignerError,
  resolveMint,
  signTransfer,
} from '@waiaas/solana-signer';
import { ApiError } from '../common/api-error.js';
import { CUSTODY, RPC } from '../infra/tokens.js';

const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const COMPUTE_BUDGET_PROGRAM = 'ComputeBudget111111111111111111111111111111';
const MEMO_PROGRAM = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
const ATA_PROGRAM = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';

/** A transfer to sign: everything the builder needs. */
export interface TransferToSign {
  from: string;
  to: string;
  amount: bigint;
  /** Mint, or null for SOL. */
  asset: string | null;
  decimals: number;
  memo: string | null;
  mintInfo?: MintInfo;
}

/**
 * Builds and signs transfers through key custody (inside SpendRepository's lock), and turns
 * custody and RPC failures into the API's coded errors (502/503, never a 500).
 */
@Injectable()
export class TransferSignerService {
  constructor(
    @Inject(CUSTODY) private readonly custody: KeyCustody,
    @Inject(RPC) private readonly rpc: Rpc<SolanaRpcApi>,
  ) {}

  /** The mint's program and decimals, from the chain. */
  async resolveMint(mint: string): Promise<MintInfo> {
    try {
      return await resolveMint(this.rpc, toAddress(mint));
    } catch (e) {
      if (isSignerError(e, 'MINT_NOT_FOUND') || isSignerError(e, 'MINT_INVALID')) {
        throw new ApiError('MINT_NOT_FOUND', `${mint} is not a mint on this cluster`, {
          errors: [{ path: 'mint', code: e.code, message: e.message }],
        });
      }
      throw new ApiError('RPC_UNAVAILABLE', 'Could not read the mint from the Solana RPC', {
        cause: e,
      });
    }
  }

  /**
   * Programs the built transaction will invoke, declared to the policy (allowedPrograms).
   * Token transfers conservatively include the ATA and System programs, since the recipient's
   * token account may have to be created.
   */
  programs(transfer: Pick<TransferToSign, 'memo' | 'mintInfo' | 'asset'>): string[] {
    const programs = [COMPUTE_BUDGET_PROGRAM];
    if (transfer.asset === null) programs.push(SYSTEM_PROGRAM);
    else programs.push(transfer.mintInfo?.programAddress ?? 'unknown', ATA_PROGRAM, SYSTEM_PROGRAM);
    if (transfer.memo !== null) programs.push(MEMO_PROGRAM);
    return programs;
  }

  /**
   * Builds and signs. Two requests for the same amount to the same recipient from one wallet
   * under one blockhash would otherwise compile to identical bytes, hence one signature: the
   * cluster would land only one of them and the second row would violate the signature's
   * unique index. A random compute-unit headroom (free without a priority fee) makes each
   * signed transaction distinct; the rare collision left is caught by that unique index and
   * retried by the caller ({@link isSignatureCollision}).
   */
  async sign(transfer: TransferToSign): Promise<SignedTransfer> {
    let built;
    try {
      const memoBytes = transfer.memo === null ? 0 : Buffer.byteLength(transfer.memo, 'utf8');
      const baseLimit = defaultComputeUnitLimit({
        kind: transfer.asset === null ? 'SOL' : 'TOKEN',
        memoBytes,
        createsAta: transfer.asset !== null,
      });
      const common = {
        from: toAddress(transfer.from),
        to: toAddress(transfer.to),
        amount: transfer.amount,
        computeUnitLimit: baseLimit + randomInt(0, 65_536),
        ...(transfer.memo === null ? {} : { memo: transfer.memo }),
      };
      built = await buildTransfer(
        transfer.asset === null
          ? { kind: 'SOL', ...common }
          : {
              kind: 'TOKEN',
              ...common,
              mint: toAddress(transfer.asset),
              expectedDecimals: transfer.decimals,
              ...(transfer.mintInfo === undefined ? {} : { mintInfo: transfer.mintInfo }),
            },
        { rpc: this.rpc },
      );
    } catch (e) {
      if (
        isSignerError(e, 'INVALID_TRANSFER') ||
        isSignerError(e, 'MINT_INVALID') ||
        isSignerError(e, 'MINT_NOT_FOUND')
      ) {
        throw new ApiError('VALIDATION_FAILED', e.message, { cause: e });
      }
      throw new ApiError(
        'RPC_UNAVAILABLE',
        'Could not build the transaction (Solana RPC unavailable)',
        { cause: e },
      );
    }
    try {
      const signed = await signTransfer(built, this.custody);
      return {
        signature: signed.signature,
        wireTransaction: signed.wireBytes,
        blockhash: signed.blockhash,
        lastValidBlockHeight: signed.lastValidBlockHeight,
      };
    } catch (e) {
      if (
        isSignerError(e, 'CUSTODY_UNAVAILABLE') ||
        isSignerError(e, 'CUSTODY_RATE_LIMITED') ||
        isSignerError(e, 'CUSTODY_TIMEOUT')
      ) {
        throw new ApiError(
          'CUSTODY_UNAVAILABLE',
          'Key custody is unavailable; nothing was signed or stored',
          { cause: e },
        );
      }
      throw new ApiError(
        'CUSTODY_SIGNING_FAILED',
        'Key custody could not sign; nothing was stored',
        { cause: e },
      );
    }
  }
}
