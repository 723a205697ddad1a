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
