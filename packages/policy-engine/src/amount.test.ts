import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  formatSol,
  formatUiAmount,
  isUiAmount,
  LAMPORTS_PER_SOL,
  lamports,
  parseLimit,
  parseSol,
  parseUiAmount,
  SOL_DECIMALS,
  U64_MAX,
} from './amount.js';
import { isPolicyEngineError, type PolicyEngineErrorCode } from './errors.js';

function codeOf(fn: () => unknown): PolicyEngineErrorCode | 'NO_THROW' {
  try {
    fn();
    return 'NO_THROW';
  } catch (e) {
    if (isPolicyEngineError(e)) return e.code;
    throw e;
  }
}

describe('parseUiAmount: accepted', () => {
  it.each([
    ['0.25', 9, 250_000_000n],
    ['1', 9, 1_000_000_000n],
    ['1', 0, 1n],
    ['0.000000001', 9, 1n],
    ['1.50', 2, 150n],
    ['10', 6, 10_000_000n],
    ['18446744073.709551615', 9, U64_MAX],
    ['18446744073709551615', 0, U64_MAX],
    ['0.1', 1, 1n],
  ])('%s with %i decimals is %s', (text, decimals, expected) => {
    expect(parseUiAmount(text, decimals)).toBe(expected);
    expect(isUiAmount(text, decimals)).toBe(true);
  });
});

describe('parseUiAmount: hostile strings are refused with a stable code', () => {
  it.each<[string, number, PolicyEngineErrorCode]>([
    ['', 9, 'AMOUNT_EMPTY'],
    [' 1', 9, 'AMOUNT_WHITESPACE'],
    ['1 ', 9, 'AMOUNT_WHITESPACE'],
    ['1\n', 9, 'AMOUNT_WHITESPACE'],
    ['1\t0', 9, 'AMOUNT_WHITESPACE'],
    ['1\u00a0', 9, 'AMOUNT_WHITESPACE'],
    ['\ufeff1', 9, 'AMOUNT_WHITESPACE'],
    ['1\u2003', 9, 'AMOUNT_WHITESPACE'],
    ['-1', 9, 'AMOUNT_SIGN'],
    ['+1', 9, 'AMOUNT_SIGN'],
    ['-0', 9, 'AMOUNT_SIGN'],
    ['1e9', 9, 'AMOUNT_EXPONENT'],
    ['1E9', 9, 'AMOUNT_EXPONENT'],
    ['1e-7', 9, 'AMOUNT_EXPONENT'],
    ['2.5e+3', 9, 'AMOUNT_EXPONENT'],
    ['.5', 9, 'AMOUNT_MALFORMED'],
    ['5.', 9, 'AMOUNT_MALFORMED'],
    ['.', 9, 'AMOUNT_MALFORMED'],
    ['0x10', 9, 'AMOUNT_MALFORMED'],
    ['0b1', 9, 'AMOUNT_MALFORMED'],
    ['01', 9, 'AMOUNT_MALFORMED'],
    ['00.5', 9, 'AMOUNT_MALFORMED'],
    ['1,5', 9, 'AMOUNT_MALFORMED'],
    ['1_000', 9, 'AMOUNT_MALFORMED'],
    ['1.2.3', 9, 'AMOUNT_MALFORMED'],
    ['NaN', 9, 'AMOUNT_MALFORMED'],
    ['Infinity', 9, 'AMOUNT_MALFORMED'],
    ['１', 9, 'AMOUNT_MALFORMED'], // full-width digit
    ['١', 9, 'AMOUNT_MALFORMED'], // Arabic-Indic digit
    ['1\u200b', 9, 'AMOUNT_MALFORMED'], // zero-width space
    ['1n', 9, 'AMOUNT_MALFORMED'],
    ['0.0000000001', 9, 'AMOUNT_TOO_MANY_DECIMALS'],
    ['1.0000000000', 9, 'AMOUNT_TOO_MANY_DECIMALS'],
    ['1.5', 0, 'AMOUNT_TOO_MANY_DECIMALS'],
    ['1.123', 2, 'AMOUNT_TOO_MANY_DECIMALS'],
    ['0', 9, 'AMOUNT_ZERO'],
    ['0.000', 9, 'AMOUNT_ZERO'],
    ['18446744073.709551616', 9, 'AMOUNT_ABOVE_U64_MAX'],
    ['18446744073709551616', 0, 'AMOUNT_ABOVE_U64_MAX'],
    ['1', 20, 'AMOUNT_ABOVE_U64_MAX'],
  ])('%j with %i decimals → %s', (text, decimals, code) => {
    expect(codeOf(() => parseUiAmount(text, decimals))).toBe(code);
    expect(isUiAmount(text, decimals)).toBe(false);
  });

  it('refuses a 100,000-digit string as out of range without building the number', () => {
    expect(codeOf(() => parseUiAmount('9'.repeat(100_000), 9))).toBe('AMOUNT_ABOVE_U64_MAX');
    expect(codeOf(() => parseUiAmount(`1.${'0'.repeat(100_000)}`, 9))).toBe(
      'AMOUNT_TOO_MANY_DECIMALS',
    );
  });

  it('refuses non-strings', () => {
    for (const value of [1, 1n, null, undefined, {}, ['1']]) {
      expect(codeOf(() => parseUiAmount(value as string, 9))).toBe('AMOUNT_NOT_A_STRING');
    }
  });

  it('refuses invalid decimals', () => {
    for (const decimals of [-1, 256, 1.5, Number.NaN]) {
      expect(codeOf(() => parseUiAmount('1', decimals))).toBe('INVALID_DECIMALS');
      expect(isUiAmount('1', decimals)).toBe(false);
    }
  });

  it('carries typed context', () => {
    try {
      parseUiAmount('1e9', 9);
      throw new Error('unreachable');
    } catch (e) {
      expect(isPolicyEngineError(e, 'AMOUNT_EXPONENT')).toBe(true);
      if (isPolicyEngineError(e, 'AMOUNT_EXPONENT'))
        expect(e.context).toEqual({ text: '1e9', decimals: 9 });
    }
  });
});

describe('parseLimit', () => {
  it('accepts zero and otherwise follows parseUiAmount', () => {
    expect(parseLimit('0', 9)).toBe(0n);
    expect(parseLimit('0.0', 9)).toBe(0n);
    expect(parseLimit('2.5', 9)).toBe(2_500_000_000n);
    expect(codeOf(() => parseLimit('-0', 9))).toBe('AMOUNT_SIGN');
    expect(codeOf(() => parseLimit('1e3', 9))).toBe('AMOUNT_EXPONENT');
  });
});

describe('formatUiAmount', () => {
  it.each([
    [0n, 9, '0'],
    [1n, 9, '0.000000001'],
    [250_000_000n, 9, '0.25'],
    [1_000_000_000n, 9, '1'],
    [U64_MAX, 9, '18446744073.709551615'],
    [U64_MAX, 0, '18446744073709551615'],
    [123n, 0, '123'],
    [1n, 255, `0.${'0'.repeat(254)}1`],
  ])('%s with %i decimals is %s', (base, decimals, expected) => {
    expect(formatUiAmount(base, decimals)).toBe(expected);
  });

  it('refuses negatives and invalid decimals', () => {
    expect(codeOf(() => formatUiAmount(-1n, 9))).toBe('AMOUNT_NEGATIVE');
    expect(codeOf(() => formatUiAmount(1n, 256))).toBe('INVALID_DECIMALS');
  });

  it('round-trips with parseLimit for every u64 and decimals 0..30', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: U64_MAX }),
        fc.integer({ min: 0, max: 30 }),
        (base, decimals) => {
          const text = formatUiAmount(base, decimals);
          expect(parseLimit(text, decimals)).toBe(base);
          if (base > 0n) expect(parseUiAmount(text, decimals)).toBe(base);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('format(parse(text)) is the canonical form of text', () => {
    const digits = fc.string({
      unit: fc.constantFrom(...'0123456789'),
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(digits, fc.option(digits, { nil: undefined }), (integer, fraction) => {
        const canonicalInteger = integer.replace(/^0+(?=.)/, '');
        const text = fraction === undefined ? canonicalInteger : `${canonicalInteger}.${fraction}`;
        const parsed = parseLimit(text, 9);
        const expected =
          fraction === undefined || /^0*$/.test(fraction)
            ? canonicalInteger
            : `${canonicalInteger}.${fraction.replace(/0+$/, '')}`;
        expect(formatUiAmount(parsed, 9)).toBe(expected);
      }),
    );
  });
});

describe('SOL helpers', () => {
  it('convert SOL strings and lamports', () => {
    expect(SOL_DECIMALS).toBe(9);
    expect(LAMPORTS_PER_SOL).toBe(1_000_000_000n);
    expect(parseSol('1.5')).toBe(1_500_000_000n);
    expect(formatSol(lamports(1_500_000_000n))).toBe('1.5');
    expect(codeOf(() => lamports(-1n))).toBe('AMOUNT_NEGATIVE');
    expect(codeOf(() => lamports(U64_MAX + 1n))).toBe('AMOUNT_ABOVE_U64_MAX');
  });
});
