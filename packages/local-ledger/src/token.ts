import { getAddressDecoder, type Address, type ReadonlyUint8Array } from '@solana/kit';
import { TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';

/**
 * The Token-2022 program. Declared here rather than imported: `@solana-program/token-2022`
 * 0.15 still declares a peer dependency on kit 7.
 */
export const TOKEN_2022_PROGRAM_ADDRESS = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb' as Address;

/** The two token programs whose accounts the ledger understands. */
export const TOKEN_PROGRAMS: readonly Address[] = [
  TOKEN_PROGRAM_ADDRESS,
  TOKEN_2022_PROGRAM_ADDRESS,
];

// SPL Token account and mint layouts (shared by Token-2022 for the base state). Fixed
// offsets are read directly: only a handful of fields are needed, for accounts of either
// program, with or without Token-2022 extensions after the base state.
const ACCOUNT_SIZE = 165;
const MINT_SIZE = 82;
const ACCOUNT_TYPE_OFFSET = 165; // Token-2022: 1 = mint, 2 = account, after the base state
const ACCOUNT_STATES = ['uninitialized', 'initialized', 'frozen'] as const;

/** The base state of a token account. */
export interface TokenAccountState {
  mint: Address;
  owner: Address;
  amount: bigint;
  delegate: Address | null;
  state: (typeof ACCOUNT_STATES)[number];
  isNative: boolean;
  delegatedAmount: bigint;
  closeAuthority: Address | null;
}

/** The base state of a mint. */
export interface MintState {
  mintAuthority: Address | null;
  supply: bigint;
  decimals: number;
  isInitialized: boolean;
  freezeAuthority: Address | null;
}

/** True when `owner` is SPL Token or Token-2022. */
export function isTokenProgram(owner: Address): boolean {
  return TOKEN_PROGRAMS.includes(owner);
}

/** Parses a token account's base state, or undefined when `data` is not an initialised token account. */
export function parseTokenAccount(data: ReadonlyUint8Array): TokenAccountState | undefined {
  if (data.length < ACCOUNT_SIZE) return undefined;
  if (data.length > ACCOUNT_SIZE && data[ACCOUNT_TYPE_OFFSET] !== 2) return undefined;
  const state = ACCOUNT_STATES[data[108] ?? 0];
  if (state === undefined || state === 'uninitialized') return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    mint: address(data, 0),
    owner: address(data, 32),
    amount: view.getBigUint64(64, true),
    delegate: view.getUint32(72, true) === 1 ? address(data, 76) : null,
    state,
    isNative: view.getUint32(109, true) === 1,
    delegatedAmount: view.getBigUint64(121, true),
    closeAuthority: view.getUint32(129, true) === 1 ? address(data, 133) : null,
  };
}

/** Parses a mint's base state, or undefined when `data` is not a mint. */
export function parseMint(data: ReadonlyUint8Array): MintState | undefined {
  if (data.length < MINT_SIZE) return undefined;
  // A Token-2022 mint with extensions is padded to the account size, then typed 1.
  if (data.length > MINT_SIZE && (data.length <= ACCOUNT_SIZE || data[ACCOUNT_TYPE_OFFSET] !== 1))
    return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    mintAuthority: view.getUint32(0, true) === 1 ? address(data, 4) : null,
    supply: view.getBigUint64(36, true),
    decimals: data[44] ?? 0,
    isInitialized: data[45] === 1,
    freezeAuthority: view.getUint32(46, true) === 1 ? address(data, 50) : null,
  };
}

/** A validator's `UiTokenAmount`: exact `amount` string, the float `uiAmount` and its exact decimal string. */
export interface UiTokenAmount {
  amount: string;
  decimals: number;
  uiAmount: number | null;
  uiAmountString: string;
}

/**
 * Formats a base-unit amount the way a validator does: `uiAmountString` is exact with
 * trailing zeros trimmed; `uiAmount` is its (lossy, display-only) float.
 */
export function uiTokenAmount(amount: bigint, decimals: number): UiTokenAmount {
  const digits = amount.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  const uiAmountString = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  return { amount: amount.toString(), decimals, uiAmount: Number(uiAmountString), uiAmountString };
}

function address(data: ReadonlyUint8Array, offset: number): Address {
  return getAddressDecoder().decode(data.subarray(offset, offset + 32));
}
