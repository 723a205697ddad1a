import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSolanaRpc, generateKeyPairSigner, lamports, type KeyPairSigner } from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { startLocalLedger, type LocalLedger } from '../src/index.js';
import { buildTransaction, send, type Rpc } from './helpers.js';

describe('SOL transfers through kit createSolanaRpc', () => {
  let ledger: LocalLedger;
  let rpc: Rpc;
  let alice: KeyPairSigner;
  let bob: KeyPairSigner;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
    rpc = createSolanaRpc(ledger.url);
    alice = await generateKeyPairSigner();
    bob = await generateKeyPairSigner();
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('airdrops through requestAirdrop and reports the balance', async () => {
    const signature = await rpc.requestAirdrop(alice.address, lamports(2_000_000_000n)).send();
    const { value: statuses } = await rpc.getSignatureStatuses([signature]).send();
    expect(statuses[0]?.confirmationStatus).toBe('processed');
    const { value } = await rpc.getBalance(alice.address, { commitment: 'processed' }).send();
    expect(value).toBe(2_000_000_000n);
    expect(ledger.landingCount(signature)).toBe(1);
  });

  it('lands a signed transfer and moves it processed -> confirmed -> finalized', async () => {
    const signature = await send(rpc, alice, [
      getTransferSolInstruction({ source: alice, destination: bob.address, amount: 123_456_789n }),
    ]);
    const landedAt = ledger.slot;

    let { value } = await rpc.getSignatureStatuses([signature]).send();
    expect(value[0]).toEqual({
      slot: landedAt,
      confirmations: 0n,
      err: null,
      status: { Ok: null },
      confirmationStatus: 'processed',
    });
    // Not yet visible at confirmed commitment.
    expect(
      await rpc
        .getTransaction(signature, {
          commitment: 'confirmed',
          maxSupportedTransactionVersion: 0,
          encoding: 'json',
        })
        .send(),
    ).toBeNull();

    ledger.advanceSlots(1);
    ({ value } = await rpc.getSignatureStatuses([signature]).send());
    expect(value[0]?.confirmationStatus).toBe('confirmed');
    expect(value[0]?.confirmations).toBe(1n);

    ledger.advanceSlots(31);
    ({ value } = await rpc.getSignatureStatuses([signature]).send());
    expect(value[0]?.confirmationStatus).toBe('finalized');
    expect(value[0]?.confirmations).toBeNull();

    const bobBalance = await rpc.getBalance(bob.address).send();
    expect(bobBalance.value).toBe(123_456_789n);
    const aliceBalance = await rpc.getBalance(alice.address).send();
    expect(aliceBalance.value).toBe(2_000_000_000n - 123_456_789n - 5000n);

    const tx = await rpc
      .getTransaction(signature, {
        commitment: 'finalized',
        maxSupportedTransactionVersion: 0,
        encoding: 'json',
      })
      .send();
    expect(tx).not.toBeNull();
    expect(tx?.slot).toBe(landedAt);
    expect(tx?.meta?.fee).toBe(5000n);
    expect(tx?.meta?.err).toBeNull();
    expect(tx?.meta?.preBalances.slice(0, 2)).toEqual([2_000_000_000n, 0n]);
    expect(tx?.meta?.postBalances.slice(0, 2)).toEqual([
      2_000_000_000n - 123_456_789n - 5000n,
      123_456_789n,
    ]);
    expect(tx?.meta?.logMessages).toContain('Program 11111111111111111111111111111111 success');
    expect(tx?.transaction.signatures[0]).toBe(signature);
    expect(typeof tx?.blockTime).toBe('bigint');
    expect(tx?.version).toBe(0);
  });

  it('never lands the same transaction twice', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const { wire, signature } = await buildTransaction(
      alice,
      [getTransferSolInstruction({ source: alice, destination: bob.address, amount: 1_000n })],
      lifetime,
    );
    const before = (await rpc.getBalance(bob.address, { commitment: 'processed' }).send()).value;
    expect(await rpc.sendTransaction(wire, { encoding: 'base64' }).send()).toBe(signature);
    // With preflight the validator answers "already processed"; without it, the signature.
    await expect(rpc.sendTransaction(wire, { encoding: 'base64' }).send()).rejects.toMatchObject({
      context: { __code: -32002 },
    });
    expect(
      await rpc.sendTransaction(wire, { encoding: 'base64', skipPreflight: true }).send(),
    ).toBe(signature);
    const after = (await rpc.getBalance(bob.address, { commitment: 'processed' }).send()).value;
    expect(after - before).toBe(1_000n);
    expect(ledger.landingCount(signature)).toBe(1);
  });

  it('serves legacy transactions without maxSupportedTransactionVersion', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const { wire, signature } = await buildTransaction(
      alice,
      [getTransferSolInstruction({ source: alice, destination: bob.address, amount: 2_000_000n })],
      lifetime,
      'legacy',
    );
    expect(await rpc.sendTransaction(wire, { encoding: 'base64' }).send()).toBe(signature);
    ledger.advanceSlots(1);
    const tx = await rpc
      .getTransaction(signature, { commitment: 'confirmed', encoding: 'json' })
      .send();
    expect(tx?.version).toBeUndefined();
    const declared = await rpc
      .getTransaction(signature, {
        commitment: 'confirmed',
        encoding: 'json',
        maxSupportedTransactionVersion: 0,
      })
      .send();
    expect(declared?.version).toBe('legacy');
    expect(tx?.meta?.err).toBeNull();
    expect(tx?.transaction.message.accountKeys).toEqual([
      alice.address,
      bob.address,
      '11111111111111111111111111111111',
    ]);
  });
});
