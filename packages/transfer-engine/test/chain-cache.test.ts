// ChainCache against the local ledger: what it remembers and what it reads every time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address, generateKeyPairSigner } from '@solana/kit';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import { mintTo } from '@waiaas/local-ledger/testing';
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
    expect(calls).toEqual(['getMultipleAccounts']);
    advance(2);
    expect(await chain.account(address)).toEqual({ lamports: 5_000_001n, executable: false });
    expect(calls).toEqual(['getMultipleAccounts', 'getMultipleAccounts']);
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

describe('ChainCache sender funds', () => {
  it('reads lamports and the token account balance in one call, remembered for 1 s', async () => {
    const { chain, calls, advance } = cacheWithClock();
    const { address: owner } = await generateKeyPairSigner();
    await ledger.airdrop(owner, 3_000_000n);
    const mint = await mintTo(ledger, owner, 6, 42_000n);
    const { programAddress } = await chain.mint(mint);
    const token = { mint: address(mint), tokenProgram: programAddress };
    calls.length = 0;

    expect(await chain.senderFunds(owner, token)).toEqual({ lamports: 3_000_000n, token: 42_000n });
    expect(await chain.senderFunds(owner)).toEqual({ lamports: 3_000_000n });
    expect(calls).toEqual(['getMultipleAccounts', 'getMultipleAccounts']);
    await ledger.airdrop(owner, 1n);
    advance(999);
    expect(await chain.senderFunds(owner)).toEqual({ lamports: 3_000_000n });
    advance(2);
    expect(await chain.senderFunds(owner)).toEqual({ lamports: 3_000_001n });
    expect(calls).toHaveLength(3);

    // No token account for that mint: null, not 0.
    const { address: empty } = await generateKeyPairSigner();
    expect(await chain.senderFunds(empty, token)).toEqual({ lamports: 0n, token: null });
  });
});

describe('ChainCache batching', () => {
  it('reads the accounts of transfers asked for at the same time in one call', async () => {
    const { chain, calls } = cacheWithClock();
    const senders = await Promise.all([1, 2, 3].map(() => generateKeyPairSigner()));
    for (const [i, s] of senders.entries())
      await ledger.airdrop(s.address, 1_000_000n * BigInt(i + 1));
    const { address: recipient } = await generateKeyPairSigner();
    await ledger.airdrop(recipient, 7_000_000n);
    const { address: missing } = await generateKeyPairSigner();
    calls.length = 0;

    const [a, b, c, r, m] = await Promise.all([
      chain.senderFunds(senders[0]!.address),
      chain.senderFunds(senders[1]!.address),
      chain.senderFunds(senders[2]!.address),
      chain.account(recipient),
      chain.account(missing),
    ]);
    expect([a, b, c, r, m]).toEqual([
      { lamports: 1_000_000n },
      { lamports: 2_000_000n },
      { lamports: 3_000_000n },
      { lamports: 7_000_000n, executable: false },
      null,
    ]);
    expect(calls).toEqual(['getMultipleAccounts']);
  });

  it('fails every read of a batch whose call failed, and reads again afterwards', async () => {
    const { address: owner } = await generateKeyPairSigner();
    await ledger.airdrop(owner, 9_000_000n);
    let fail = true;
    const rpc = createRpc({ url: ledger.url, retries: 0 });
    const flaky = new Proxy(rpc, {
      get(target, method: string) {
        const real = Reflect.get(target, method) as (...args: unknown[]) => unknown;
        if (method !== 'getMultipleAccounts') return real.bind(target);
        return (...args: unknown[]) =>
          fail
            ? { send: () => Promise.reject(new Error('node unavailable')) }
            : real.apply(target, args);
      },
    });
    const chain = new ChainCache(flaky);
    const results = await Promise.allSettled([chain.senderFunds(owner), chain.account(owner)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await chain.senderFunds(owner)).toEqual({ lamports: 9_000_000n });
  });
});
