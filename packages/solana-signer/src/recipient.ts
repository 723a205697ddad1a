/**
 * Refuses transfers that cannot succeed on chain before anything is signed: each one would
 * otherwise be sent, fail, and still cost its fee.
 */
import { SignerError } from './errors.js';

/**
 * Minimum balance of a 0-byte system account to be rent-exempt, in lamports: (128 bytes of
 * account overhead) × 3,480 lamports/byte-year × 2 years, the default rent of every public
 * cluster and of LiteSVM. A SOL transfer that would leave a new account below it fails with
 * `InsufficientFundsForRent`.
 *
 * @example
 * ```ts
 * RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT; // 890880n
 * ```
 */
export const RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT = 890_880n;

// Programs and sysvars a wallet must never send to: a transfer to a sysvar fails
// (ReadonlyLamportChange), and SOL sent to a program's id is lost at best. Written out rather
// than imported: the addresses are protocol constants, and no one package exports them all.
const RESERVED = new Set([
  '11111111111111111111111111111111', // System
  'ComputeBudget111111111111111111111111111111',
  'Stake11111111111111111111111111111111111111',
  'StakeConfig11111111111111111111111111111111',
  'Vote111111111111111111111111111111111111111',
  'Config1111111111111111111111111111111111111',
  'BPFLoader1111111111111111111111111111111111',
  'BPFLoader2111111111111111111111111111111111',
  'BPFLoaderUpgradeab1e11111111111111111111111',
  'LoaderV411111111111111111111111111111111111',
  'NativeLoader1111111111111111111111111111111',
  'AddressLookupTab1e1111111111111111111111111',
  'Ed25519SigVerify111111111111111111111111111',
  'KeccakSecp256k11111111111111111111111111111',
  'Secp256r1SigVerify1111111111111111111111111',
  'Feature111111111111111111111111111111111111',
  'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb',
  'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL',
  'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo',
  'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
  'Memo4c2pN8afCj432Lb7RMVKi9PbQnnW7ewFFaV3oAH',
  'Sysvar1111111111111111111111111111111111111',
  'Sysvar1nstructions1111111111111111111111111',
  'SysvarC1ock11111111111111111111111111111111',
  'SysvarEpochRewards1111111111111111111111111',
  'SysvarEpochSchedu1e111111111111111111111111',
  'SysvarFees111111111111111111111111111111111',
  'SysvarLastRestartS1ot1111111111111111111111',
  'SysvarRecentB1ockHashes11111111111111111111',
  'SysvarRent111111111111111111111111111111111',
  'SysvarRewards111111111111111111111111111111',
  'SysvarS1otHashes111111111111111111111111111',
  'SysvarS1otHistory11111111111111111111111111',
  'SysvarStakeHistory1111111111111111111111111',
]);

/**
 * True for a well-known program or sysvar address.
 *
 * @example
 * ```ts
 * isReservedAddress('SysvarRent111111111111111111111111111111111'); // true
 * ```
 */
export function isReservedAddress(address: string): boolean {
  return RESERVED.has(address);
}

/**
 * What the chain says about the recipient account (`null`: it does not exist).
 *
 * @example
 * ```ts
 * const state: RecipientAccount = { lamports: 0n, executable: false };
 * ```
 */
export interface RecipientAccount {
  lamports: bigint;
  executable: boolean;
}

/**
 * Throws a coded `SignerError` when the transfer cannot succeed because of its recipient:
 * `RECIPIENT_IS_SENDER`, `RECIPIENT_IS_PROGRAM` (a known program or sysvar, or an executable
 * account), `RECIPIENT_BELOW_RENT_EXEMPTION` (a SOL transfer that would leave a new account
 * below the rent-exempt minimum). `account` is the recipient as read from the chain (`null`:
 * it does not exist; `undefined`: not read, only the address checks run).
 *
 * @example
 * ```ts
 * assertRecipientCanReceive({ from, to, kind: 'SOL', amount: 1n, account: null }); // throws RECIPIENT_BELOW_RENT_EXEMPTION
 * ```
 */
export function assertRecipientCanReceive(input: {
  from: string;
  to: string;
  kind: 'SOL' | 'TOKEN';
  amount: bigint;
  account?: RecipientAccount | null;
}): void {
  const { from, to, kind, amount, account } = input;
  if (to === from) {
    throw new SignerError(
      'RECIPIENT_IS_SENDER',
      { recipient: to },
      'the recipient is the sending wallet itself',
    );
  }
  if (isReservedAddress(to) || account?.executable === true) {
    throw new SignerError(
      'RECIPIENT_IS_PROGRAM',
      { recipient: to },
      `${to} is a program or sysvar, not a wallet`,
    );
  }
  if (kind === 'SOL' && account !== undefined) {
    const after = (account?.lamports ?? 0n) + amount;
    if (
      (account === null || account.lamports === 0n) &&
      after < RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT
    ) {
      throw new SignerError(
        'RECIPIENT_BELOW_RENT_EXEMPTION',
        {
          recipient: to,
          amount: amount.toString(),
          minimum: RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT.toString(),
        },
        `${to} does not exist yet; a first transfer must be at least ${RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT} lamports (rent exemption)`,
      );
    }
  }
}

/**
 * What the sending wallet holds, as read before a transfer: its lamports, and for a token
 * transfer its token account's balance in base units (null: it has no token account).
 */
export interface SenderFunds {
  lamports: bigint;
  token?: bigint | null;
}

/**
 * Throws INSUFFICIENT_FUNDS when the sender cannot pay the transfer and its fee: for SOL,
 * `amount + fee` must not exceed the balance and what remains must be 0 or at least
 * {@link RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT} (the runtime refuses to leave an account between
 * the two, and the fee is charged all the same); for a token, the token balance must cover the
 * amount and the SOL balance the fee, on the same remainder rule.
 *
 * The rent of a recipient token account the transfer creates is not included: whether it
 * exists is not read before signing (the account is created idempotently).
 *
 * @example
 * ```ts
 * assertSenderCanPay({ from, kind: 'SOL', amount: 2n, fee: 5_000n, funds: { lamports: 1n } }); // throws
 * ```
 */
export function assertSenderCanPay(input: {
  from: string;
  kind: 'SOL' | 'TOKEN';
  /** The token's mint, for a token transfer (shown in the error). */
  mint?: string;
  amount: bigint;
  fee: bigint;
  funds: SenderFunds;
}): void {
  const { from, kind, amount, fee, funds } = input;
  if (kind === 'TOKEN') {
    const balance = funds.token ?? 0n;
    if (balance < amount) {
      throw new SignerError(
        'INSUFFICIENT_FUNDS',
        {
          address: from,
          asset: input.mint ?? null,
          balance: balance.toString(),
          required: amount.toString(),
        },
        `the wallet holds ${balance} base units of ${input.mint ?? 'the token'}, the transfer needs ${amount}`,
      );
    }
  }
  const required = kind === 'SOL' ? amount + fee : fee;
  const remaining = funds.lamports - required;
  if (remaining < 0n || (remaining > 0n && remaining < RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT)) {
    throw new SignerError(
      'INSUFFICIENT_FUNDS',
      {
        address: from,
        asset: null,
        balance: funds.lamports.toString(),
        required: required.toString(),
        minimumRemaining: RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT.toString(),
      },
      remaining < 0n
        ? `the wallet holds ${funds.lamports} lamports, the transfer needs ${required} (fee included)`
        : `the transfer would leave ${remaining} lamports, below the ${RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT} an account must keep (send everything or leave at least that)`,
    );
  }
}
