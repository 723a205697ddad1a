// Every transfer kind, built with buildTransfer over a kit RPC backed by LiteSVM, signed by
// the custody under test, executed from its wire bytes, balances checked to the base unit.
// Shared by the local keystore and Turnkey suites so both custodies pass the same bar.
import { expect, it } from '@jest/globals';
import {
  type Address,
  generateKeyPairSigner,
  getBase58Decoder,
  getTransactionDecoder,
} from '@solana/kit';
import { FailedTransactionMetadata } from 'litesvm';
import {
  type KeyCustody,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  buildTransfer,
  signTransfer,
} from '../../src/index.js';
import { TestLedger, expectSuccess } from './ledger.js';

const LAMPORTS_PER_SIGNATURE = 5_000n;

function priorityFee(limit: number, microLamports: bigint): bigint {
  return (BigInt(limit) * microLamports + 999_999n) / 1_000_000n;
}

async function freshAddress(): Promise<Address> {
  return (await generateKeyPairSigner()).address;
}

export function transferScenarios(getCustody: () => KeyCustody): void {
  async function fundedWallet(ledger: TestLedger, lamports = 10_000_000_000n): Promise<Address> {
    const { address } = await getCustody().createWallet();
    ledger.fund(address, lamports);
    return address;
  }

  it('SOL transfer: built, signed, executed; signature known before sending', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const to = await freshAddress();
    const amount = 1_234_567_891n;
    const built = await buildTransfer({ kind: 'SOL', from, to, amount }, { rpc: ledger.rpc });
    expect(built.blockhash).toBe(ledger.svm.latestBlockhash());
    expect(built.lastValidBlockHeight).toBe(ledger.svm.getClock().slot + 150n);
    const signed = await signTransfer(built, getCustody());
    // The id is the first signature of the wire bytes, derived before any send.
    expect(signed.signature).toBe(getBase58Decoder().decode(signed.wireBytes.subarray(1, 65)));
    expect(Buffer.from(signed.wireBase64, 'base64').equals(Buffer.from(signed.wireBytes))).toBe(
      true,
    );
    const before = ledger.balance(from);
    const meta = expectSuccess(ledger.sendWire(signed.wireBytes));
    expect(getBase58Decoder().decode(meta.signature())).toBe(signed.signature);
    expect(ledger.balance(to)).toBe(amount);
    expect(before - ledger.balance(from)).toBe(amount + LAMPORTS_PER_SIGNATURE);
  });

  it('SOL transfer with memo, fixed priority fee and compute-unit limit', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const to = await freshAddress();
    const amount = 2_000_000_001n;
    const built = await buildTransfer(
      {
        kind: 'SOL',
        from,
        to,
        amount,
        memo: 'invoice #42 — café',
        computeUnitLimit: 40_000,
        priorityFee: { microLamports: 12_345n },
      },
      { rpc: ledger.rpc },
    );
    expect(built.computeUnitLimit).toBe(40_000);
    expect(built.priorityFeeMicroLamports).toBe(12_345n);
    const signed = await signTransfer(built, getCustody());
    const before = ledger.balance(from);
    const meta = expectSuccess(ledger.sendWire(signed.wireBytes));
    expect(meta.logs().join('\n')).toContain('invoice #42 — café');
    expect(ledger.balance(to)).toBe(amount);
    expect(before - ledger.balance(from)).toBe(
      amount + LAMPORTS_PER_SIGNATURE + priorityFee(40_000, 12_345n),
    );
  });

  it('SPL Token transfer creates the missing recipient token account idempotently', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const to = await freshAddress();
    const mint = await ledger.createMint(TOKEN_PROGRAM_ADDRESS, 6, from, 1_000_000_000n);
    const amount = 123_456_789n;
    const built = await buildTransfer(
      { kind: 'TOKEN', from, to, mint, amount, expectedDecimals: 6 },
      { rpc: ledger.rpc },
    );
    expect(built.token?.mint).toEqual({
      address: mint,
      programAddress: TOKEN_PROGRAM_ADDRESS,
      decimals: 6,
    });
    expect(built.token?.createsDestinationAta).toBe(true);
    const signed = await signTransfer(built, getCustody());
    const before = ledger.balance(from);
    expect(await ledger.tokenBalance(to, mint, TOKEN_PROGRAM_ADDRESS)).toBeNull();
    expectSuccess(ledger.sendWire(signed.wireBytes));
    expect(await ledger.tokenBalance(to, mint, TOKEN_PROGRAM_ADDRESS)).toBe(amount);
    expect(await ledger.tokenBalance(from, mint, TOKEN_PROGRAM_ADDRESS)).toBe(
      1_000_000_000n - amount,
    );
    // The sender paid the fee and the new account's rent, nothing else.
    const ataRent = ledger.balance(built.token!.destinationAta);
    expect(ataRent).toBe(ledger.svm.minimumBalanceForRentExemption(165n));
    expect(before - ledger.balance(from)).toBe(LAMPORTS_PER_SIGNATURE + ataRent);
  });

  it('SPL Token transfer to an existing token account does not create it again', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const to = await freshAddress();
    const mint = await ledger.createMint(TOKEN_PROGRAM_ADDRESS, 9, from, 5_000n);
    const first = await signTransfer(
      await buildTransfer({ kind: 'TOKEN', from, to, mint, amount: 1_000n }, { rpc: ledger.rpc }),
      getCustody(),
    );
    expectSuccess(ledger.sendWire(first.wireBytes));
    const built = await buildTransfer(
      { kind: 'TOKEN', from, to, mint, amount: 2_500n },
      { rpc: ledger.rpc },
    );
    expect(built.token?.createsDestinationAta).toBe(false);
    const before = ledger.balance(from);
    expectSuccess(ledger.sendWire((await signTransfer(built, getCustody())).wireBytes));
    expect(await ledger.tokenBalance(to, mint, TOKEN_PROGRAM_ADDRESS)).toBe(3_500n);
    expect(await ledger.tokenBalance(from, mint, TOKEN_PROGRAM_ADDRESS)).toBe(1_500n);
    expect(before - ledger.balance(from)).toBe(LAMPORTS_PER_SIGNATURE);
  });

  it('Token-2022 transfer with new recipient account, memo and percentile priority fee', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const to = await freshAddress();
    const mint = await ledger.createMint(TOKEN_2022_PROGRAM_ADDRESS, 2, from, 10_000_00n);
    ledger.prioritizationFees = [0n, 0n, 500n, 1_000n, 2_000n, 3_000n, 9_000_000n, 40n];
    const amount = 4_321_99n;
    const built = await buildTransfer(
      {
        kind: 'TOKEN',
        from,
        to,
        mint,
        amount,
        memo: 'payout',
        priorityFee: { percentile: 75, maxMicroLamports: 1_500n },
      },
      { rpc: ledger.rpc },
    );
    // Sorted samples 0,0,40,500,1000,2000,3000,9e6: the 75th percentile (nearest rank 6) is 2 000, capped at 1 500.
    expect(built.priorityFeeMicroLamports).toBe(1_500n);
    expect(ledger.priorityFeeCalls).toEqual([
      [from, built.token!.sourceAta, built.token!.destinationAta],
    ]);
    expect(built.token?.mint.programAddress).toBe(TOKEN_2022_PROGRAM_ADDRESS);
    const signed = await signTransfer(built, getCustody());
    const before = ledger.balance(from);
    const meta = expectSuccess(ledger.sendWire(signed.wireBytes));
    expect(meta.logs()).toContain('Program log: payout');
    expect(meta.computeUnitsConsumed()).toBeLessThanOrEqual(BigInt(built.computeUnitLimit));
    expect(await ledger.tokenBalance(to, mint, TOKEN_2022_PROGRAM_ADDRESS)).toBe(amount);
    expect(await ledger.tokenBalance(from, mint, TOKEN_2022_PROGRAM_ADDRESS)).toBe(
      10_000_00n - amount,
    );
    const ata = ledger.svm.getAccount(built.token!.destinationAta);
    expect(ata.exists && ata.programAddress).toBe(TOKEN_2022_PROGRAM_ADDRESS);
    const ataRent = ledger.balance(built.token!.destinationAta);
    expect(before - ledger.balance(from)).toBe(
      LAMPORTS_PER_SIGNATURE + priorityFee(built.computeUnitLimit, 1_500n) + ataRent,
    );
  });

  it('a signature by another key is rejected by the runtime', async () => {
    const ledger = new TestLedger();
    const from = await fundedWallet(ledger);
    const other = await fundedWallet(ledger);
    const to = await freshAddress();
    const built = await buildTransfer(
      { kind: 'SOL', from, to, amount: 1_000_000_000n },
      { rpc: ledger.rpc },
    );
    // Sign the right message with the wrong wallet's key and put it in the fee payer's slot.
    const wrong = await getCustody().signMessage(other, built.messageBytes);
    const forged = {
      ...built.transaction,
      signatures: { ...built.transaction.signatures, [from]: wrong },
    };
    const { getTransactionEncoder } = await import('@solana/kit');
    const wire = new Uint8Array(getTransactionEncoder().encode(forged));
    expect(getTransactionDecoder().decode(wire).signatures[from]).toEqual(wrong);
    const before = ledger.balance(from);
    const result = ledger.sendWire(wire);
    expect(result).toBeInstanceOf(FailedTransactionMetadata);
    expect((result as FailedTransactionMetadata).toString()).toContain('SignatureFailure');
    expect(ledger.balance(to)).toBe(0n);
    expect(ledger.balance(from)).toBe(before);
    // And signTransfer itself refuses a custody answer that does not verify.
    const lying: KeyCustody = {
      kind: 'LOCAL',
      createWallet: () => getCustody().createWallet(),
      signMessage: (_a, m) => getCustody().signMessage(other, m),
    };
    await expect(signTransfer(built, lying)).rejects.toMatchObject({
      code: 'CUSTODY_SIGNING_FAILED',
    });
  });
}
