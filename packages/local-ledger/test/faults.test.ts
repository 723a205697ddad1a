import { afterEach, describe, expect, it } from '@jest/globals';
import {
  createSolanaRpc,
  generateKeyPairSigner,
  isSolanaError,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_NODE_UNHEALTHY,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  type KeyPairSigner,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import {
  isLocalLedgerError,
  startLocalLedger,
  type LocalLedger,
  type LocalLedgerOptions,
} from '../src/index.js';
import { send, type Rpc } from './helpers.js';

describe('fault injection', () => {
  const started: LocalLedger[] = [];

  async function start(
    options: LocalLedgerOptions,
  ): Promise<{ ledger: LocalLedger; rpc: Rpc; payer: KeyPairSigner }> {
    const ledger = await startLocalLedger({ port: 0, slotMs: 0, ...options });
    started.push(ledger);
    const payer = await generateKeyPairSigner();
    await ledger.airdrop(payer.address, 10_000_000_000n);
    return { ledger, rpc: createSolanaRpc(ledger.url), payer };
  }

  async function transferTo(rpc: Rpc, payer: KeyPairSigner, amount: bigint): Promise<string> {
    const destination = await generateKeyPairSigner();
    return send(rpc, payer, [
      getTransferSolInstruction({ source: payer, destination: destination.address, amount }),
    ]);
  }

  afterEach(async () => {
    await Promise.all(started.splice(0).map((l) => l.close()));
  });

  it('dropRate 1: the signature is returned but the transaction never lands', async () => {
    const { ledger, rpc, payer } = await start({ faults: { dropRate: 1 } });
    const before = (await rpc.getBalance(payer.address, { commitment: 'processed' }).send()).value;
    const signature = await transferTo(rpc, payer, 1_000_000n);
    ledger.advanceSlots(40);
    const { value } = await rpc
      .getSignatureStatuses([signature as never], { searchTransactionHistory: true })
      .send();
    expect(value[0]).toBeNull();
    expect(ledger.wasDropped(signature)).toBe(true);
    expect(ledger.landingCount(signature)).toBe(0);
    expect((await rpc.getBalance(payer.address, { commitment: 'processed' }).send()).value).toBe(
      before,
    );
  });

  it('drops a reproducible share of sends for a given seed', async () => {
    const pattern = async (seed: number): Promise<boolean[]> => {
      const { ledger, rpc, payer } = await start({ faults: { dropRate: 0.5, seed } });
      const dropped: boolean[] = [];
      for (let i = 0; i < 12; i++)
        dropped.push(ledger.wasDropped(await transferTo(rpc, payer, 1_000_000n + BigInt(i))));
      return dropped;
    };
    const first = await pattern(42);
    const second = await pattern(42);
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('a dropped transaction can be re-sent and then lands once', async () => {
    const { ledger, rpc, payer } = await start({ faults: { dropRate: 1 } });
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const { buildTransaction } = await import('./helpers.js');
    const destination = await generateKeyPairSigner();
    const tx = await buildTransaction(
      payer,
      [
        getTransferSolInstruction({
          source: payer,
          destination: destination.address,
          amount: 2_000_000n,
        }),
      ],
      lifetime,
    );
    await rpc.sendTransaction(tx.wire, { encoding: 'base64' }).send();
    expect(ledger.landingCount(tx.signature)).toBe(0);
    ledger.setFaults({});
    await rpc.sendTransaction(tx.wire, { encoding: 'base64' }).send();
    await rpc.sendTransaction(tx.wire, { encoding: 'base64', skipPreflight: true }).send();
    expect(ledger.landingCount(tx.signature)).toBe(1);
    expect(
      (await rpc.getBalance(destination.address, { commitment: 'processed' }).send()).value,
    ).toBe(2_000_000n);
  });

  it('errorRate 1 fails requests with HTTP 503 by default', async () => {
    const { rpc } = await start({ faults: { errorRate: 1 } });
    const caught = await rpc
      .getSlot()
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSolanaError(caught, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR)).toBe(true);
    expect(caught).toMatchObject({ context: { statusCode: 503 } });
  });

  it('errorMode rpc fails with JSON-RPC -32005, only on the chosen methods', async () => {
    const { ledger, rpc, payer } = await start({
      faults: { errorRate: 1, errorMode: 'rpc', methods: ['sendTransaction'] },
    });
    expect(await rpc.getSlot({ commitment: 'processed' }).send()).toBe(ledger.slot);
    const caught = await transferTo(rpc, payer, 1_000_000n).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSolanaError(caught, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_NODE_UNHEALTHY)).toBe(true);
  });

  it('adds latency to the chosen methods', async () => {
    const { rpc } = await start({ faults: { latencyMs: 120, methods: ['getSlot'] } });
    const started = performance.now();
    await rpc.getSlot().send();
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('rejects out-of-range fault options with a coded error', async () => {
    const caught = await startLocalLedger({ port: 0, slotMs: 0, faults: { dropRate: 2 } }).then(
      (l) => l.close(),
      (e: unknown) => e,
    );
    expect(isLocalLedgerError(caught, 'LOCAL_LEDGER_INVALID_OPTION')).toBe(true);
    expect(caught).toMatchObject({ context: { option: 'faults.dropRate', value: 2 } });
  });
});
