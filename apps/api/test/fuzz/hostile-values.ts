import fc from 'fast-check';

/** Strings chosen to break parsers, validators and storage (issue 12's attack list and more). */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ufeff',
  '\u202e\u0631',
  '\u200b',
  'e\u0301\u0301\u0301',
  'ＡＢＣ１２３',
  '١٢٣',
  '😀'.repeat(50),
  '../../etc/passwd',
  '%00',
  '%zz',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '-1',
  '0',
  '-0',
  '0.000',
  '1e3',
  '1E-9',
  '0x10',
  ' 1',
  '1 ',
  '+1',
  '.5',
  '5.',
  'NaN',
  'Infinity',
  '18446744073.709551616',
  '18446744073709551616',
  '99999999999999999999999999999999999999',
  '-18446744073.709551615',
  '0.0000000001',
  '1,5',
  'http://127.0.0.1:5432/',
  'http://[::ffff:127.0.0.1]/',
  'http://0x7f000001/',
  'http://user:pass@example.com/',
  'http://169.254.169.254/latest/meta-data/',
  'javascript:alert(1)',
  'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS',
  '11111111111111111111111111111111',
  'SysvarRent111111111111111111111111111111111',
  'So11111111111111111111111111111111111111112',
  'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
  '00000000-0000-0000-0000-000000000000',
  'ACTIVE',
  'REVOKED',
  'PENDING',
];

/** A hostile JSON value: odd strings, wrong types, numbers as amounts, huge and deep values. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(300, 5_000, 40_000).map((n) => 'x'.repeat(n)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -1,
      0.5,
      -0.000000001,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      18446744073709551616,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(40, 200).map((depth) => {
      let v: unknown = 'deep';
      for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
      return v;
    }),
  },
);

/**
 * `encodeURIComponent`, except that an unpaired surrogate (which it refuses) is sent as the
 * bytes a careless encoder would produce (WTF-8, e.g. `%ED%A0%80`): invalid UTF-8 in the URL.
 */
export function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff)
      out += `%ED%${(0x80 | ((c >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Values for a path parameter: real ids, random UUIDs, and things that are not UUIDs. */
export function pathValue(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ids) },
    { weight: 2, arbitrary: fc.uuid().map((u) => u) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(...HOSTILE_STRINGS).map(percentEncode),
        fc.string({ unit: 'binary', maxLength: 60 }).map(percentEncode),
        fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2e%2e', 'a'.repeat(600), '-1', '1e3'),
      ),
    },
  );
}

/** A header value a client can send (ByteString: no CR, LF or NUL). */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.constantFrom('', 'k'.repeat(255), 'k'.repeat(256), 'order 42', '\u00e9\u00ff', '%00'),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '')),
);
