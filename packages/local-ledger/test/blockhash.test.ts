import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSolanaRpc,
  generateKeyPairSigner,
  isSolanaError,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND,
  type KeyPairSigner,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { startLocalLedger, type LocalLedger } from '../src/index.js';
import { buildTransaction, type Rpc } from './helpers.js';

describe('blockhash lifetime (150 blocks, as on a real cluster)', () => {
  let ledger: LocalLedger;
  let rpc: Rpc;
  let payer: KeyPairSigner;
  let recipient: KeyPairSigner;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
    rpc = createSolanaRpc(ledger.url);
    payer = await generateKeyPairSigner();
    recipient = await generateKeyPairSigner();
    await ledger.airdrop(payer.address, 5_000_000_000n);
    ledger.advanceSlots(40);
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('issues a new blockhash per slot with lastValidBlockHeight = block height + 150', async () => {
    const height = await rpc.getBlockHeight({ commitment: 'processed' }).send();
    const first = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    expect(first.value.lastValidBlockHeight).toBe(height + 150n);
    expect(first.context.slot).toBe(ledger.slot);
    ledger.advanceSlots(1);
    const second = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    expect(second.value.blockhash).not.toBe(first.value.blockhash);
    expect(second.value.lastValidBlockHeight).toBe(first.value.lastValidBlockHeight + 1n);
  });

  it('serves older blockhashes at stronger commitments', async () => {
    const processed = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const confirmed = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    const finalized = await rpc.getLatestBlockhash({ commitment: 'finalized' }).send();
    expect(confirmed.context.slot).toBe(processed.context.slot - 1n);
    expect(finalized.context.slot).toBe(processed.context.slot - 32n);
    expect(finalized.value.lastValidBlockHeight).toBe(processed.value.lastValidBlockHeight - 32n);
    expect((await rpc.getSlot({ commitment: 'finalized' }).send()) + 32n).toBe(
      await rpc.getSlot({ commitment: 'processed' }).send(),
    );
  });

  it('lands a transaction whose blockhash is at its last valid block height, not one block later', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const transfer = (amount: bigint) => [
      getTransferSolInstruction({ source: payer, destination: recipient.address, amount }),
    ];
    const lastMoment = await buildTransaction(payer, transfer(1_000_000n), lifetime);
    const tooLate = await buildTransaction(payer, transfer(2_000_000n), lifetime);

    ledger.advanceSlots(150);
    expect(await rpc.getBlockHeight({ commitment: 'processed' }).send()).toBe(
      lifetime.lastValidBlockHeight,
    );
    expect(
      (await rpc.isBlockhashValid(lifetime.blockhash, { commitment: 'processed' }).send()).value,
    ).toBe(true);
    await rpc.sendTransaction(lastMoment.wire, { encoding: 'base64' }).send();
    expect(ledger.landingCount(lastMoment.signature)).toBe(1);

    ledger.advanceSlots(1);
    expect(
      (await rpc.isBlockhashValid(lifetime.blockhash, { commitment: 'processed' }).send()).value,
    ).toBe(false);

    // Preflight rejects it with the validator's error...
    let caught: unknown;
    try {
      await rpc.sendTransaction(tooLate.wire, { encoding: 'base64' }).send();
    } catch (e) {
      caught = e;
    }
    expect(
      isSolanaError(
        caught,
        SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
      ),
    ).toBe(true);
    expect(caught).toMatchObject({ context: { logs: [], unitsConsumed: 0n } });
    // kit turns the validator's `err` into the cause: proof the JSON shape is the real one.
    expect(
      isSolanaError((caught as Error).cause, SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND),
    ).toBe(true);

    // ...and without preflight the signature comes back but the transaction never lands.
    expect(
      await rpc.sendTransaction(tooLate.wire, { encoding: 'base64', skipPreflight: true }).send(),
    ).toBe(tooLate.signature);
    ledger.advanceSlots(2);
    const { value } = await rpc
      .getSignatureStatuses([tooLate.signature, lastMoment.signature], {
        searchTransactionHistory: true,
      })
      .send();
    expect(value[0]).toBeNull();
    expect(value[1]?.err).toBeNull();
    expect(ledger.landingCount(tooLate.signature)).toBe(0);
    expect(
      await rpc
        .getTransaction(tooLate.signature, {
          commitment: 'confirmed',
          encoding: 'json',
          maxSupportedTransactionVersion: 0,
        })
        .send(),
    ).toBeNull();
    expect(
      (await rpc.getBalance(recipient.address, { commitment: 'processed' }).send()).value,
    ).toBe(1_000_000n);
  });

  it('rejects an unknown blockhash', async () => {
    const bogus = {
      blockhash: recipient.address as unknown as Parameters<
        typeof buildTransaction
      >[2]['blockhash'],
      lastValidBlockHeight: 10_000n,
    };
    const tx = await buildTransaction(
      payer,
      [getTransferSolInstruction({ source: payer, destination: recipient.address, amount: 1n })],
      bogus,
    );
    const caught = await rpc
      .sendTransaction(tx.wire, { encoding: 'base64' })
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      isSolanaError((caught as Error).cause, SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND),
    ).toBe(true);
    expect(ledger.landingCount(tx.signature)).toBe(0);
    expect(
      (await rpc.isBlockhashValid(bogus.blockhash, { commitment: 'processed' }).send()).value,
    ).toBe(false);
  });
});
