import { describe, expect, it } from '@jest/globals';
import { parseMint, parseTokenAccount, uiTokenAmount } from './token.js';

describe('uiTokenAmount', () => {
  it('formats exactly, trimming trailing zeros like a validator', () => {
    expect(uiTokenAmount(1_500_000n, 6)).toEqual({
      amount: '1500000',
      decimals: 6,
      uiAmount: 1.5,
      uiAmountString: '1.5',
    });
    expect(uiTokenAmount(1_000_000n, 6).uiAmountString).toBe('1');
    expect(uiTokenAmount(0n, 9).uiAmountString).toBe('0');
    expect(uiTokenAmount(7n, 9).uiAmountString).toBe('0.000000007');
    expect(uiTokenAmount(42n, 0).uiAmountString).toBe('42');
  });

  it('keeps u64::MAX exact in the strings', () => {
    const max = 18_446_744_073_709_551_615n;
    const ui = uiTokenAmount(max, 9);
    expect(ui.amount).toBe('18446744073709551615');
    expect(ui.uiAmountString).toBe('18446744073.709551615');
  });
});

describe('token layouts', () => {
  it('rejects data that is neither a token account nor a mint', () => {
    expect(parseTokenAccount(new Uint8Array(10))).toBeUndefined();
    expect(parseMint(new Uint8Array(10))).toBeUndefined();
    // 165 zero bytes: an uninitialised token account.
    expect(parseTokenAccount(new Uint8Array(165))).toBeUndefined();
  });

  it('reads amount and state of an initialised account', () => {
    const data = new Uint8Array(165);
    new DataView(data.buffer).setBigUint64(64, 123_456_789n, true);
    data[108] = 2; // frozen
    expect(parseTokenAccount(data)).toMatchObject({
      amount: 123_456_789n,
      state: 'frozen',
      delegate: null,
      isNative: false,
    });
  });

  it('reads a Token-2022 mint padded to the account size with its account type', () => {
    const data = new Uint8Array(170);
    data[44] = 6;
    data[45] = 1;
    data[165] = 1; // AccountType::Mint
    expect(parseMint(data)).toMatchObject({
      decimals: 6,
      isInitialized: true,
      mintAuthority: null,
      supply: 0n,
    });
    data[165] = 2; // AccountType::Account: not a mint
    expect(parseMint(data)).toBeUndefined();
  });
});
