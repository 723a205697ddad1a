import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  appendTransactionMessageInstructions,
  compileTransaction,
  compileTransactionMessage,
  createSolanaRpc,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase58Decoder,
  getBase64Decoder,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getCompiledTransactionMessageEncoder,
  isSolanaError,
  lamports,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_MIN_CONTEXT_SLOT_NOT_REACHED,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION,
  type Address,
  type Base64EncodedWireTransaction,
  type Instruction,
  type KeyPairSigner,
  type TransactionMessageBytesBase64,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import {
  isLocalLedgerError,
  startLocalLedger,
  SUPPORTED_METHODS,
  type LocalLedger,
} from '../src/index.js';
import { buildTransaction, send, type Rpc } from './helpers.js';

const COMPUTE_BUDGET = 'ComputeBudget111111111111111111111111111111' as Address;

function setComputeUnitLimit(units: number): Instruction {
  const data = new Uint8Array(5);
  data[0] = 2;
  new DataView(data.buffer).setUint32(1, units, true);
  return { programAddress: COMPUTE_BUDGET, data };
}

function setComputeUnitPrice(microLamports: bigint): Instruction {
  const data = new Uint8Array(9);
  data[0] = 3;
  new DataView(data.buffer).setBigUint64(1, microLamports, true);
  return { programAddress: COMPUTE_BUDGET, data };
}

// Raw wire responses are inspected field by field, exactly as the server wrote them.
async function rawCall(
  url: string,
  body: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) };
}

describe('JSON-RPC result and error shapes', () => {
  let ledger: LocalLedger;
  let rpc: Rpc;
  let payer: KeyPairSigner;
  let other: KeyPairSigner;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
    rpc = createSolanaRpc(ledger.url);
    [payer, other] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner()]);
    await rpc.requestAirdrop(payer.address, lamports(100_000_000_000n)).send();
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('answers an unknown method with -32601', async () => {
    const { status, json } = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 7,
      method: 'getBlockProduction',
      params: [],
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: 7,
    });
  });

  it('answers malformed JSON, invalid requests and bad params like a validator', async () => {
    const parse = await fetch(ledger.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":',
    });
    expect(await parse.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    });
    expect((await rawCall(ledger.url, { id: 1, method: 'getSlot' })).json.error.code).toBe(-32600);
    const bad = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 2,
      method: 'getBalance',
      params: ['not-a-pubkey'],
    });
    expect(bad.json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32602, message: 'Invalid param: Invalid' },
      id: 2,
    });
    const commitment = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 3,
      method: 'getSlot',
      params: [{ commitment: 'soon' }],
    });
    expect(commitment.json.error.code).toBe(-32602);
  });

  it('serves batches in order', async () => {
    const { json } = await rawCall(ledger.url, [
      { jsonrpc: '2.0', id: 1, method: 'getHealth' },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
      { jsonrpc: '2.0', id: 3, method: 'getVersion' },
    ]);
    expect(json[0]).toEqual({ jsonrpc: '2.0', result: 'ok', id: 1 });
    expect(json[1].error.code).toBe(-32601);
    expect(json[2].result).toEqual({
      'feature-set': expect.any(Number),
      'solana-core': expect.any(String),
    });
  });

  it('answers GET /health with ok', async () => {
    const response = await fetch(`${ledger.url}/health`);
    expect(await response.text()).toBe('ok');
  });

  it('lists every method it serves', async () => {
    for (const method of SUPPORTED_METHODS) {
      const { json } = await rawCall(ledger.url, { jsonrpc: '2.0', id: 1, method, params: [] });
      expect(json.error?.code).not.toBe(-32601);
    }
  });

  it('writes u64 values as exact JSON integers', async () => {
    const { text } = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'getAccountInfo',
      params: [payer.address, { encoding: 'base64' }],
    });
    expect(text).toContain('"rentEpoch":18446744073709551615');
    const { value } = await rpc.getAccountInfo(payer.address, { encoding: 'base64' }).send();
    expect((value as unknown as { rentEpoch: bigint }).rentEpoch).toBe(18_446_744_073_709_551_615n);

    const whale = await generateKeyPairSigner();
    const big = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a double
    // kit refuses to send such a number, so the request is written by hand.
    const response = await fetch(ledger.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"jsonrpc":"2.0","id":1,"method":"requestAirdrop","params":["${whale.address}",${big.toString()}]}`,
    });
    expect(((await response.json()) as { result: unknown }).result).toEqual(expect.any(String));
    expect((await rpc.getBalance(whale.address, { commitment: 'processed' }).send()).value).toBe(
      big,
    );
  });

  it('reports epoch info, version and rent like a validator', async () => {
    const info = await rpc.getEpochInfo({ commitment: 'processed' }).send();
    expect(info).toEqual({
      absoluteSlot: ledger.slot,
      blockHeight: ledger.blockHeight,
      epoch: 0n,
      slotIndex: ledger.slot,
      slotsInEpoch: 432_000n,
      transactionCount: expect.any(BigInt),
    });
    // 165-byte token account and 0-byte wallet, the mainnet figures.
    expect(await rpc.getMinimumBalanceForRentExemption(165n).send()).toBe(2_039_280n);
    expect(await rpc.getMinimumBalanceForRentExemption(0n).send()).toBe(890_880n);
    expect((await rpc.getVersion().send())['solana-core']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await rpc.getHealth().send()).toBe('ok');
  });

  it('encodes accounts as base58 by default, base64, and null when missing', async () => {
    const missing = await generateKeyPairSigner();
    const legacy = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'getAccountInfo',
      params: [payer.address],
    });
    expect(legacy.json.result.value.data).toBe('');
    const { value } = await rpc
      .getMultipleAccounts([payer.address, missing.address], { encoding: 'base64' })
      .send();
    expect(value[0]).toMatchObject({
      data: ['', 'base64'],
      executable: false,
      owner: '11111111111111111111111111111111',
      space: 0n,
    });
    expect(value[1]).toBeNull();
    expect((await rpc.getAccountInfo(missing.address).send()).value).toBeNull();
    expect((await rpc.getBalance(missing.address).send()).value).toBe(0n);
  });

  it('quotes fees for a message, including the prioritization fee', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const encode = (
      instructions: Instruction[],
      blockhash = lifetime,
    ): TransactionMessageBytesBase64 => {
      const message = pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayer(payer.address, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
        (m) => appendTransactionMessageInstructions(instructions, m),
      );
      const bytes = getCompiledTransactionMessageEncoder().encode(
        compileTransactionMessage(message),
      );
      return getBase64Decoder().decode(bytes) as TransactionMessageBytesBase64;
    };
    const transfer = getTransferSolInstruction({
      source: payer,
      destination: other.address,
      amount: 1_000_000n,
    });
    expect((await rpc.getFeeForMessage(encode([transfer])).send()).value).toBe(5000n);
    const priced = encode([setComputeUnitLimit(10_000), setComputeUnitPrice(1_500_000n), transfer]);
    expect((await rpc.getFeeForMessage(priced).send()).value).toBe(5000n + 15_000n);
    const stale = encode([transfer], {
      blockhash: other.address as never,
      lastValidBlockHeight: 0n,
    });
    expect((await rpc.getFeeForMessage(stale).send()).value).toBeNull();
  });

  it('charges and reports the prioritization fee of a landed transaction', async () => {
    const before = (await rpc.getBalance(payer.address, { commitment: 'processed' }).send()).value;
    const signature = await send(rpc, payer, [
      setComputeUnitLimit(10_000),
      setComputeUnitPrice(2_000_000n),
      getTransferSolInstruction({ source: payer, destination: other.address, amount: 1_000_000n }),
    ]);
    const landedAt = ledger.slot;
    const after = (await rpc.getBalance(payer.address, { commitment: 'processed' }).send()).value;
    expect(before - after).toBe(1_000_000n + 5000n + 20_000n);
    ledger.advanceSlots(1);
    const tx = await rpc
      .getTransaction(signature, {
        commitment: 'confirmed',
        encoding: 'json',
        maxSupportedTransactionVersion: 0,
      })
      .send();
    expect(tx?.meta?.fee).toBe(25_000n);
    const fees = await rpc.getRecentPrioritizationFees([other.address]).send();
    expect(fees.find((f) => f.slot === landedAt)?.prioritizationFee).toBe(2_000_000n);
    const unrelated = await generateKeyPairSigner();
    const none = await rpc.getRecentPrioritizationFees([unrelated.address]).send();
    expect(none.every((f) => f.prioritizationFee === 0n)).toBe(true);
  });

  it('simulates without committing, with logs, units, post-state accounts and errors', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const target = await generateKeyPairSigner();
    const ok = await buildTransaction(
      payer,
      [
        getTransferSolInstruction({
          source: payer,
          destination: target.address,
          amount: 3_000_000n,
        }),
      ],
      lifetime,
    );
    const sim = await rpc
      .simulateTransaction(ok.wire, {
        encoding: 'base64',
        accounts: { addresses: [target.address], encoding: 'base64' },
      })
      .send();
    expect(sim.value.err).toBeNull();
    expect(sim.value.logs).toEqual([
      'Program 11111111111111111111111111111111 invoke [1]',
      'Program 11111111111111111111111111111111 success',
    ]);
    expect(sim.value.unitsConsumed).toBe(150n);
    expect(sim.value.accounts?.[0]?.lamports).toBe(3_000_000n);
    expect((await rpc.getBalance(target.address, { commitment: 'processed' }).send()).value).toBe(
      0n,
    );

    const poor = await generateKeyPairSigner();
    await rpc.requestAirdrop(poor.address, lamports(1_000_000n)).send();
    const fails = await buildTransaction(
      poor,
      [
        getTransferSolInstruction({
          source: poor,
          destination: target.address,
          amount: 5_000_000n,
        }),
      ],
      lifetime,
    );
    const failed = await rpc.simulateTransaction(fails.wire, { encoding: 'base64' }).send();
    expect(failed.value.err).toEqual({ InstructionError: [0n, { Custom: 1n }] });

    const replaced = await rpc
      .simulateTransaction(ok.wire, {
        encoding: 'base64',
        replaceRecentBlockhash: true,
        commitment: 'processed',
      })
      .send();
    expect(replaced.value.replacementBlockhash?.blockhash).toBe(
      (await rpc.getLatestBlockhash({ commitment: 'processed' }).send()).value.blockhash,
    );
  });

  it('simulates an unsigned message with replaceRecentBlockhash, as compute-unit estimators do', async () => {
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(payer.address, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: other.address as never, lastValidBlockHeight: 0n },
          m,
        ),
      (m) =>
        appendTransactionMessageInstructions(
          [
            getTransferSolInstruction({
              source: payer,
              destination: other.address,
              amount: 1_000_000n,
            }),
          ],
          m,
        ),
    );
    const unsigned = getBase64EncodedWireTransaction(compileTransaction(message));
    const { value } = await rpc
      .simulateTransaction(unsigned, {
        encoding: 'base64',
        sigVerify: false,
        replaceRecentBlockhash: true,
        commitment: 'processed',
      })
      .send();
    expect(value.err).toBeNull();
    expect(value.unitsConsumed).toBe(150n);
    expect(value.replacementBlockhash?.lastValidBlockHeight).toBe(ledger.blockHeight + 150n);
    // Without the replacement the made-up blockhash is reported, not executed.
    const stale = await rpc.simulateTransaction(unsigned, { encoding: 'base64' }).send();
    expect(stale.value.err).toBe('BlockhashNotFound');
  });

  it('rejects a failing transaction at preflight, and lands it (paying the fee) without preflight', async () => {
    const poor = await generateKeyPairSigner();
    await rpc.requestAirdrop(poor.address, lamports(1_000_000n)).send();
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const tx = await buildTransaction(
      poor,
      [getTransferSolInstruction({ source: poor, destination: other.address, amount: 5_000_000n })],
      lifetime,
    );

    const raw = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'sendTransaction',
      params: [tx.wire, { encoding: 'base64' }],
    });
    expect(raw.json.error.code).toBe(-32002);
    expect(raw.json.error.message).toBe(
      'Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1',
    );
    expect(raw.json.error.data.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(raw.json.error.data.logs.length).toBeGreaterThan(0);
    const caught = await rpc
      .sendTransaction(tx.wire, { encoding: 'base64' })
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      isSolanaError(
        caught,
        SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
      ),
    ).toBe(true);
    // kit maps the validator's `err` JSON into its own error type: the shape is the real one.
    expect(isSolanaError((caught as Error).cause, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)).toBe(
      true,
    );
    expect(ledger.landingCount(tx.signature)).toBe(0);

    expect(
      await rpc.sendTransaction(tx.wire, { encoding: 'base64', skipPreflight: true }).send(),
    ).toBe(tx.signature);
    expect(ledger.landingCount(tx.signature)).toBe(1);
    const { value } = await rpc.getSignatureStatuses([tx.signature]).send();
    expect(value[0]).toMatchObject({
      err: { InstructionError: [0n, { Custom: 1n }] },
      status: { Err: { InstructionError: [0n, { Custom: 1n }] } },
    });
    expect((await rpc.getBalance(poor.address, { commitment: 'processed' }).send()).value).toBe(
      1_000_000n - 5000n,
    );
    ledger.advanceSlots(1);
    const landed = await rpc
      .getTransaction(tx.signature, {
        commitment: 'confirmed',
        encoding: 'json',
        maxSupportedTransactionVersion: 0,
      })
      .send();
    expect(landed?.meta?.fee).toBe(5000n);
    expect(landed?.meta?.err).toEqual({ InstructionError: [0n, { Custom: 1n }] });
  });

  it('rejects a bad signature at preflight and never lands it', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const tx = await buildTransaction(
      payer,
      [
        getTransferSolInstruction({
          source: payer,
          destination: other.address,
          amount: 1_000_000n,
        }),
      ],
      lifetime,
    );
    const bytes = new Uint8Array(getBase64Encoder().encode(tx.wire));
    bytes[1] = (bytes[1] ?? 0) ^ 0xff; // first byte of the first signature
    const tampered = getBase64Decoder().decode(bytes) as Base64EncodedWireTransaction;
    const caught = await rpc
      .sendTransaction(tampered, { encoding: 'base64' })
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      isSolanaError(
        caught,
        SOLANA_ERROR__JSON_RPC__SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
      ),
    ).toBe(true);
    const signature = await rpc
      .sendTransaction(tampered, { encoding: 'base64', skipPreflight: true })
      .send();
    expect(ledger.landingCount(signature)).toBe(0);
    expect((await rpc.getSignatureStatuses([signature]).send()).value[0]).toBeNull();
  });

  it('accepts base58-encoded transactions and returns the wire bytes from getTransaction', async () => {
    const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
    const tx = await buildTransaction(
      payer,
      [
        getTransferSolInstruction({
          source: payer,
          destination: other.address,
          amount: 4_000_000n,
        }),
      ],
      lifetime,
    );
    const base58 = getBase58Decoder().decode(getBase64Encoder().encode(tx.wire));
    const raw = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'sendTransaction',
      params: [base58],
    });
    expect(raw.json.result).toBe(tx.signature);
    ledger.advanceSlots(1);
    const landed = await rpc
      .getTransaction(tx.signature, {
        commitment: 'confirmed',
        encoding: 'base64',
        maxSupportedTransactionVersion: 0,
      })
      .send();
    expect(landed?.transaction).toEqual([tx.wire, 'base64']);

    const noVersion = await rpc
      .getTransaction(tx.signature, { commitment: 'confirmed', encoding: 'json' })
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      isSolanaError(
        noVersion,
        SOLANA_ERROR__JSON_RPC__SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION,
      ),
    ).toBe(true);
    const processed = await rawCall(ledger.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'getTransaction',
      params: [tx.signature, { commitment: 'processed' }],
    });
    expect(processed.json.error.code).toBe(-32602);
  });

  it('enforces minContextSlot', async () => {
    const caught = await rpc
      .getBalance(payer.address, { minContextSlot: ledger.slot + 10n })
      .send()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(
      isSolanaError(caught, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_MIN_CONTEXT_SLOT_NOT_REACHED),
    ).toBe(true);
  });

  it('finds old signatures only with searchTransactionHistory', async () => {
    const signature = await ledger.airdrop(other.address, 1_000_000n);
    ledger.advanceSlots(301);
    expect((await rpc.getSignatureStatuses([signature as never]).send()).value[0]).toBeNull();
    const { value } = await rpc
      .getSignatureStatuses([signature], { searchTransactionHistory: true })
      .send();
    expect(value[0]?.confirmationStatus).toBe('finalized');
  });
});

describe('startLocalLedger', () => {
  it('honours custom confirmation and finalization depths', async () => {
    const ledger = await startLocalLedger({
      port: 0,
      slotMs: 0,
      confirmationDepth: 3,
      finalizationDepth: 700,
    });
    try {
      const rpc = createSolanaRpc(ledger.url);
      const wallet = await generateKeyPairSigner();
      const signature = await ledger.airdrop(wallet.address, 1_000_000_000n);
      const status = async () =>
        (await rpc.getSignatureStatuses([signature], { searchTransactionHistory: true }).send())
          .value[0]?.confirmationStatus;
      ledger.advanceSlots(2);
      expect(await status()).toBe('processed');
      ledger.advanceSlots(1);
      expect(await status()).toBe('confirmed');
      ledger.advanceSlots(696);
      expect(await status()).toBe('confirmed');
      ledger.advanceSlots(1);
      expect(await status()).toBe('finalized');
      ledger.advanceSlots(200);
      const finalized = await rpc.getLatestBlockhash({ commitment: 'finalized' }).send();
      expect(finalized.context.slot).toBe(ledger.slot - 700n);
    } finally {
      await ledger.close();
    }
  });

  it('reports a port already in use with a coded error', async () => {
    const first = await startLocalLedger({ port: 0, slotMs: 0 });
    try {
      const caught = await startLocalLedger({ port: first.port, slotMs: 0 }).then(
        (l) => l.close(),
        (e: unknown) => e,
      );
      expect(isLocalLedgerError(caught, 'LOCAL_LEDGER_LISTEN_FAILED')).toBe(true);
      expect(caught).toMatchObject({ context: { port: first.port } });
    } finally {
      await first.close();
    }
  });
});

describe('the slot clock', () => {
  it('advances slots and blockhashes on its own when slotMs > 0', async () => {
    const ledger = await startLocalLedger({ port: 0, slotMs: 10 });
    try {
      const rpc = createSolanaRpc(ledger.url);
      const first = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
      const deadline = Date.now() + 5_000;
      while (ledger.slot < first.context.slot + 3n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      const later = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
      expect(later.context.slot).toBeGreaterThanOrEqual(first.context.slot + 3n);
      expect(later.value.blockhash).not.toBe(first.value.blockhash);
    } finally {
      await ledger.close();
    }
  });
});
