import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { isSignerError } from './errors.js';
import { loadMasterKeys, parseMasterKey } from './master-key.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isSignerError(e) ? `${e.code}:${(e.context as { variable: string }).variable}` : 'other';
  }
  return 'ok';
};

describe('parseMasterKey', () => {
  const bytes = randomBytes(32);

  it('accepts 32 random bytes as hex, base64 and base64url', () => {
    for (const text of [
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      bytes.toString('base64'),
      bytes.toString('base64url'),
      ` ${bytes.toString('base64')}\n`,
    ]) {
      expect(Buffer.from(parseMasterKey(text)).equals(bytes)).toBe(true);
    }
  });

  it('refuses wrong lengths and junk', () => {
    for (const text of [
      '',
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('hex'),
      'not a key!',
      randomBytes(31).toString('hex') + 'zz',
    ]) {
      expect(code(() => parseMasterKey(text))).toBe('MASTER_KEY_INVALID:key');
    }
  });

  it('refuses weak keys unless allowed', () => {
    const weak = [
      Buffer.alloc(32),
      Buffer.alloc(32, 0xab),
      Buffer.from('0123456789abcdef0123456789abcdef'),
    ];
    for (const key of weak) {
      expect(code(() => parseMasterKey(key.toString('base64')))).toBe('MASTER_KEY_INVALID:key');
      expect(parseMasterKey(key.toString('base64'), { allowWeak: true })).toHaveLength(32);
    }
  });
});

describe('loadMasterKeys', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('hex');

  it('stops start-up without a key outside local development', () => {
    expect(code(() => loadMasterKeys())).toBe('MASTER_KEY_INVALID:key');
    expect(code(() => loadMasterKeys({ key: '  ' }))).toBe('MASTER_KEY_INVALID:key');
  });

  it('falls back to the development key only when allowed, with a warning', () => {
    const keys = loadMasterKeys({ allowDevDefault: true });
    expect(keys.devDefault).toBe(true);
    expect(keys.warnings).toHaveLength(1);
    expect(keys.keys.get(1)).toHaveLength(32);
    // The development key is refused as a configured key outside development.
    const devKey = Buffer.from(keys.keys.get(1)!).toString('base64');
    expect(code(() => loadMasterKeys({ key: devKey }))).toBe('MASTER_KEY_INVALID:key');
  });

  it('takes the current version and previous keys', () => {
    const keys = loadMasterKeys({ key: k2, version: 2, previous: [{ version: 1, key: k1 }] });
    expect(keys.currentVersion).toBe(2);
    expect([...keys.keys.keys()].sort()).toEqual([1, 2]);
    expect(Buffer.from(keys.keys.get(1)!).toString('base64')).toBe(k1);
    expect(keys.devDefault).toBe(false);
  });

  it('refuses bad versions and malformed previous keys, naming the option', () => {
    expect(code(() => loadMasterKeys({ key: k1, version: 0 }))).toBe('MASTER_KEY_INVALID:version');
    expect(code(() => loadMasterKeys({ key: k1, version: 1.5 }))).toBe(
      'MASTER_KEY_INVALID:version',
    );
    expect(code(() => loadMasterKeys({ key: k1, previous: [{ version: 0, key: k2 }] }))).toBe(
      'MASTER_KEY_INVALID:previous',
    );
    expect(code(() => loadMasterKeys({ key: k1, previous: [{ version: 1, key: k2 }] }))).toBe(
      'MASTER_KEY_INVALID:previous',
    );
    expect(
      code(() =>
        loadMasterKeys({
          key: k1,
          previous: [{ version: 2, key: Buffer.alloc(32).toString('hex') }],
        }),
      ),
    ).toBe('MASTER_KEY_INVALID:previous');
  });

  it('never puts the key in an error message', () => {
    const weak = Buffer.alloc(32, 7).toString('hex');
    try {
      loadMasterKeys({ key: weak });
    } catch (e) {
      expect(String(e)).not.toContain(weak);
    }
    expect.assertions(1);
  });
});
