// ChainCache against the local ledger: what it remembers and what it reads every time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSigner } from '@solana/kit';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import { createRpc } from '@waiaas/solana-signer';
import { ChainCache } from '../src/index.js';

let ledger: LocalLedger;

beforeAll(async () => {
  ledger = await startLocalLedger({ port: 0, slotMs: 0 });
});

afterAll(async () => {
  await ledger.close();
});

/** A cache on a clock the test moves, over an RPC client whose calls are counted. */
function cacheWithClock(accountTtlMs?: number) {
  let now = 1_000_000;
  const calls: string[] = [];
  const rpc = createRpc({ url: ledger.url });
  const counted = new Proxy(rpc, {
    get(target, method: string) {
      const real = Reflect.get(target, method) as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        calls.push(method);
        return real.apply(target, args);
      };
    },
  });
  const chain = new ChainCache(counted, {
    now: () => now,
    ...(accountTtlMs === undefined ? {} : { accountTtlMs }),
  });
  return { chain, calls, advance: (ms: number) => (now += ms) };
}

describe('ChainCache recipient accounts', () => {
  it('remembers an existing account for accountTtlMs, then reads it again', async () => {
    const { chain, calls, advance } = cacheWithClock();
    const { address } = await generateKeyPairSigner();
    await ledger.airdrop(address, 5_000_000n);
    expect(await chain.account(address)).toEqual({ lamports: 5_000_000n, executable: false });
    await ledger.airdrop(address, 1n);
    advance(4_999);
    expect(await chain.account(address)).toEqual({ lamports: 5_000_000n, executable: false });
    expect(calls).toEqual(['getAccountInfo']);
    advance(2);
    expect(await chain.account(address)).toEqual({ lamports: 5_000_001n, executable: false });
    expect(calls).toEqual(['getAccountInfo', 'getAccountInfo']);
  });

  it('never remembers a missing account: it is seen the moment it is funded', async () => {
    const { chain, calls } = cacheWithClock();
    const { address } = await generateKeyPairSigner();
    expect(await chain.account(address)).toBeNull();
    await ledger.airdrop(address, 2_000_000n);
    expect(await chain.account(address)).toEqual({ lamports: 2_000_000n, executable: false });
    expect(calls).toHaveLength(2);
  });

  it('accountTtlMs: 0 reads every time', async () => {
    const { chain, calls } = cacheWithClock(0);
    const { address } = await generateKeyPairSigner();
    await ledger.airdrop(address, 3_000_000n);
    await chain.account(address);
    await chain.account(address);
    expect(calls).toHaveLength(2);
  });
});
