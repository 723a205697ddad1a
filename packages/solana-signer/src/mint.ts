import {
  type Address,
  type GetAccountInfoApi,
  type Rpc,
  address as toAddress,
  fetchEncodedAccount,
} from '@solana/kit';
import { TOKEN_PROGRAM_ADDRESS, getMintDecoder } from '@solana-program/token';
import { SignerError } from './errors.js';

/**
 * The SPL Token-2022 program (`@solana-program/token-2022` does not support kit 8 yet).
 *
 * @example
 * ```ts
 * const isToken2022 = (await resolveMint(rpc, mint)).programAddress === TOKEN_2022_PROGRAM_ADDRESS;
 * ```
 */
export const TOKEN_2022_PROGRAM_ADDRESS = toAddress('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');

/** Re-exported for symmetry with {@link TOKEN_2022_PROGRAM_ADDRESS}. */
export { TOKEN_PROGRAM_ADDRESS };

/**
 * What a token transfer needs to know about its mint.
 *
 * @example
 * ```ts
 * const mintInfo: MintInfo = { address: mint, programAddress: TOKEN_PROGRAM_ADDRESS, decimals: 6 };
 * ```
 */
export interface MintInfo {
  address: Address;
  /** Owner of the mint account: SPL Token or Token-2022. */
  programAddress: Address;
  decimals: number;
}

// Base mint layout, shared by SPL Token and Token-2022 (extensions, if any, come after it).
const MINT_BASE_SIZE = 82;

/**
 * Looks up a mint: which token program owns it (SPL Token or Token-2022) and its decimals.
 * Throws `MINT_NOT_FOUND` when the account does not exist and `MINT_INVALID` when it is not
 * an initialised mint of either program.
 *
 * @example
 * ```ts
 * const { programAddress, decimals } = await resolveMint(rpc, mint);
 * ```
 */
export async function resolveMint(
  rpc: Rpc<GetAccountInfoApi>,
  mint: Address,
  options: { abortSignal?: AbortSignal } = {},
): Promise<MintInfo> {
  const account = await fetchEncodedAccount(
    rpc,
    mint,
    options.abortSignal ? { abortSignal: options.abortSignal } : {},
  );
  if (!account.exists)
    throw new SignerError('MINT_NOT_FOUND', { mint }, `mint ${mint} does not exist`);
  const owner = account.programAddress;
  const invalid = (reason: string) =>
    new SignerError(
      'MINT_INVALID',
      { mint, owner, reason },
      `${mint} is not a usable mint: ${reason}`,
    );
  if (owner !== TOKEN_PROGRAM_ADDRESS && owner !== TOKEN_2022_PROGRAM_ADDRESS) {
    throw invalid('not owned by SPL Token or Token-2022');
  }
  // SPL Token mints are exactly 82 bytes; Token-2022 mints are 82 bytes or, with extensions,
  // longer (token accounts are 165, so an 82..165 length other than 82 is not a mint).
  const size = account.data.length;
  if (size < MINT_BASE_SIZE || (owner === TOKEN_PROGRAM_ADDRESS && size !== MINT_BASE_SIZE)) {
    throw invalid(`account data is ${size} bytes`);
  }
  if (
    owner === TOKEN_2022_PROGRAM_ADDRESS &&
    size > MINT_BASE_SIZE &&
    (size <= 165 || account.data[165] !== 1)
  ) {
    throw invalid('Token-2022 account is not a mint');
  }
  const decoded = getMintDecoder().decode(account.data.subarray(0, MINT_BASE_SIZE));
  if (!decoded.isInitialized) throw invalid('mint is not initialised');
  return { address: mint, programAddress: owner, decimals: decoded.decimals };
}
