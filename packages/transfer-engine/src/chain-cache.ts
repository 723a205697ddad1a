/**
 * Chain facts a transfer needs, read before the wallet lock so nothing slow runs under it:
 * a recent blockhash (shared by every transfer for `maxBlockhashAgeMs`, one request in flight
 * at a time), mint program and decimals (cached: neither changes for a mint), and the
 * recipient account (an existing account is remembered for `accountTtlMs`; a missing one is
 * read again every time, since it may be funded any moment), and what the sender holds
 * (remembered for `fundsTtlMs`).
 *
 * Account reads of transfers in flight at the same time share one `getMultipleAccounts` call
 * (up to 100 addresses): under load every transfer reads its sender and recipient, and one
 * HTTP request per read cost 5-7 % of the API's CPU on the transfer path, and as many
 * requests at the node.
 */
import {
  type Address,
  getBase64Encoder,
  getU64Decoder,
  type Rpc,
  type SolanaRpcApi,
} from '@solana/kit';
import { findAssociatedTokenPda } from '@solana-program/token';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import {
  type BlockhashLifetime,
  type MintInfo,
  resolveMint,
  type SenderFunds,
  toAddress,
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

/** One account as the batched read returns it: its state and the 8 bytes at offset 64. */
interface AccountRead extends AccountState {
  /** A token account's amount (u64 at byte 64, in SPL Token and Token-2022 alike), base64. */
  amountSlice: string;
}

/** `getMultipleAccounts` takes at most this many addresses. */
const MAX_ACCOUNTS_PER_CALL = 100;

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
  private readonly reads: DataLoader<Address, AccountRead | null>;

  constructor(
    private readonly rpc: Rpc<SolanaRpcApi>,
    options: ChainCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxBlockhashAgeMs ?? 2_000;
    this.maxMints = options.maxMints ?? 10_000;
    this.now = options.now ?? Date.now;
    this.accounts = this.expiring<AccountState>(options.accountTtlMs ?? 5_000);
    this.funds = this.expiring<SenderFunds>(options.fundsTtlMs ?? 1_000);
    this.reads = new DataLoader((addresses) => this.readAccounts(addresses), {
      // Freshness is the TTL caches' business: the loader only batches.
      cache: false,
      maxBatchSize: MAX_ACCOUNTS_PER_CALL,
      // Gathers the reads of a whole turn of the event loop (every request whose data or
      // Redis reply arrived in it), not only those of one tick.
      batchScheduleFn: (run) => setImmediate(run),
    });
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
    const read = await this.reads.load(address);
    if (read === null) return null;
    const state = { lamports: read.lamports, executable: read.executable };
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
    const [sender, tokenAccount] = await this.readAll(addresses);
    const funds: SenderFunds = { lamports: sender?.lamports ?? 0n };
    if (token !== undefined) {
      funds.token =
        tokenAccount === null || tokenAccount === undefined
          ? null
          : getU64Decoder().decode(getBase64Encoder().encode(tokenAccount.amountSlice));
    }
    this.funds?.set(key, funds);
    return funds;
  }

  /** Batched reads of several accounts; the first failure is thrown. */
  private async readAll(addresses: Address[]): Promise<(AccountRead | null)[]> {
    const reads = await this.reads.loadMany(addresses);
    for (const read of reads) if (read instanceof Error) throw read;
    return reads as (AccountRead | null)[];
  }

  /** One `getMultipleAccounts` for the addresses a turn of the event loop asked for. */
  private async readAccounts(addresses: readonly Address[]): Promise<(AccountRead | null)[]> {
    const { value } = await this.rpc
      .getMultipleAccounts([...addresses], {
        commitment: 'confirmed',
        encoding: 'base64',
        dataSlice: { offset: 64, length: 8 },
      })
      .send();
    return addresses.map((_, i) => {
      const account = value[i];
      if (account === null || account === undefined) return null;
      return {
        lamports: BigInt(account.lamports),
        executable: account.executable,
        amountSlice: account.data[0],
      };
    });
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
