/**
 * Chain facts a transfer needs, read before the wallet lock so nothing slow runs under it:
 * a recent blockhash (shared by every transfer for `maxBlockhashAgeMs`, one request in flight
 * at a time), mint program and decimals (cached: neither changes for a mint), and the
 * recipient account (an existing account is remembered for `accountTtlMs`; a missing one is
 * read again every time, since it may be funded any moment), and what the sender holds
 * (remembered for `fundsTtlMs`).
 */
import {
  type Address,
  getBase64Encoder,
  getU64Decoder,
  type Rpc,
  type SolanaRpcApi,
  address as toAddress,
} from '@solana/kit';
import { findAssociatedTokenPda } from '@solana-program/token';
import { LRUCache } from 'lru-cache';
import {
  type BlockhashLifetime,
  type MintInfo,
  resolveMint,
  type SenderFunds,
} from '@waiaas/solana-signer';

export interface ChainCacheOptions {
  /** How long one blockhash is reused (default 2 s; a blockhash stays valid ~60 s). */
  maxBlockhashAgeMs?: number;
  /** Mints remembered (default 10,000; oldest dropped first). */
  maxMints?: number;
  /**
   * How long an existing recipient account is remembered (default 5 000 ms; 0 reads it for
   * every transfer). Only "exists, with these lamports, executable or not" is kept: an account
   * closed within that time makes one transfer's rent check stale, never lets a program
   * receive (program accounts cannot be closed).
   */
  accountTtlMs?: number;
  /**
   * How long what a sender holds is remembered (default 1 000 ms; 0 reads it for every
   * transfer). A balance read that much earlier can be higher than now (a transfer landed
   * meanwhile: the chain then refuses the transfer, as without the check) or lower (a deposit
   * arrived: refused for at most this long).
   */
  fundsTtlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** What the chain says about an account (null: it does not exist). */
export interface AccountState {
  lamports: bigint;
  executable: boolean;
}

/**
 * @example
 * ```ts
 * const chain = new ChainCache(rpc);
 * const lifetime = await chain.blockhash(); // { blockhash, lastValidBlockHeight }
 * ```
 */
export class ChainCache {
  private lifetime: { value: BlockhashLifetime; at: number } | null = null;
  private inFlight: Promise<BlockhashLifetime> | null = null;
  private readonly mints = new Map<string, MintInfo>();
  private readonly accounts: LRUCache<string, AccountState> | null;
  private readonly funds: LRUCache<string, SenderFunds> | null;
  private readonly maxAgeMs: number;
  private readonly maxMints: number;
  private readonly now: () => number;

  constructor(
    private readonly rpc: Rpc<SolanaRpcApi>,
    options: ChainCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxBlockhashAgeMs ?? 2_000;
    this.maxMints = options.maxMints ?? 10_000;
    this.now = options.now ?? Date.now;
    this.accounts = this.expiring<AccountState>(options.accountTtlMs ?? 5_000);
    this.funds = this.expiring<SenderFunds>(options.fundsTtlMs ?? 1_000);
  }

  /** 10,000 entries that expire `ttlMs` after they were set, on this cache's clock; none for 0. */
  private expiring<V extends object>(ttlMs: number): LRUCache<string, V> | null {
    if (ttlMs <= 0) return null;
    return new LRUCache<string, V>({
      max: 10_000,
      ttl: ttlMs,
      ttlResolution: 0,
      perf: { now: () => this.now() },
    });
  }

  /** A blockhash at most `maxBlockhashAgeMs` old, with the last block height it is valid for. */
  async blockhash(): Promise<BlockhashLifetime> {
    const cached = this.lifetime;
    if (cached !== null && this.now() - cached.at < this.maxAgeMs) return cached.value;
    this.inFlight ??= this.fetchBlockhash().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** The mint's program and decimals (throws the signer's MINT_NOT_FOUND / MINT_INVALID). */
  async mint(mint: string): Promise<MintInfo> {
    const known = this.mints.get(mint);
    if (known !== undefined) return known;
    const info = await resolveMint(this.rpc, toAddress(mint));
    if (this.mints.size >= this.maxMints) {
      const oldest = this.mints.keys().next().value;
      if (oldest !== undefined) this.mints.delete(oldest);
    }
    this.mints.set(mint, info);
    return info;
  }

  /** The account's lamports and whether it is executable; null when it does not exist. */
  async account(address: Address): Promise<AccountState | null> {
    const known = this.accounts?.get(address);
    if (known !== undefined) return known;
    const { value } = await this.rpc
      .getAccountInfo(address, {
        commitment: 'confirmed',
        encoding: 'base64',
        dataSlice: { offset: 0, length: 0 },
      })
      .send();
    if (value === null) return null;
    const state = { lamports: BigInt(value.lamports), executable: value.executable };
    this.accounts?.set(address, state);
    return state;
  }

  /**
   * What `owner` holds: its lamports and, with `token`, the balance of its associated token
   * account for that mint (null: no such account). One RPC read for both.
   */
  async senderFunds(
    owner: Address,
    token?: { mint: Address; tokenProgram: Address },
  ): Promise<SenderFunds> {
    const key = token === undefined ? owner : `${owner}:${token.mint}`;
    const known = this.funds?.get(key);
    if (known !== undefined) return known;
    const addresses: Address[] = [owner];
    if (token !== undefined) {
      const [ata] = await findAssociatedTokenPda({
        owner,
        mint: token.mint,
        tokenProgram: token.tokenProgram,
      });
      addresses.push(ata);
    }
    // A token account's amount is the u64 at byte 64, in SPL Token and Token-2022 alike.
    const { value } = await this.rpc
      .getMultipleAccounts(addresses, {
        commitment: 'confirmed',
        encoding: 'base64',
        dataSlice: { offset: 64, length: 8 },
      })
      .send();
    const funds: SenderFunds = { lamports: value[0] === null ? 0n : BigInt(value[0]!.lamports) };
    if (token !== undefined) {
      const account = value[1];
      funds.token =
        account === null || account === undefined
          ? null
          : getU64Decoder().decode(getBase64Encoder().encode(account.data[0]));
    }
    this.funds?.set(key, funds);
    return funds;
  }

  private async fetchBlockhash(): Promise<BlockhashLifetime> {
    const at = this.now();
    const { value } = await this.rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    const lifetime = {
      blockhash: value.blockhash,
      lastValidBlockHeight: BigInt(value.lastValidBlockHeight),
    };
    this.lifetime = { value: lifetime, at };
    return lifetime;
  }
}
