// planTransfer is what the policy judges and the limits count; these tests pin it to what
// buildTransfer compiles and to what the ledger charges.
import { describe, expect, it } from '@jest/globals';
import {
  type Address,
  type ReadonlyUint8Array,
  generateKeyPair,
  generateKeyPairSigner,
  getAddressFromPublicKey,
  getCompiledTransactionMessageDecoder,
  signBytes,
} from '@solana/kit';
import {
  type KeyCustody,
  RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  assertRecipientCanReceive,
  assertSenderCanPay,
  buildTransfer,
  isSignerError,
  planTransfer,
  signTransfer,
} from '../src/index.js';
import { FailedTransactionMetadata } from 'litesvm';
import { TestLedger, expectSuccess } from './support/ledger.js';

class KeyPairCustody implements KeyCustody {
  readonly kind = 'LOCAL' as const;
  private readonly keys = new Map<string, CryptoKeyPair>();
  async createWallet() {
    const pair = await generateKeyPair();
    const address = await getAddressFromPublicKey(pair.publicKey);
    this.keys.set(address, pair);
    return { address, custodyRef: null, kind: this.kind };
  }
  async signMessage(address: Address, message: ReadonlyUint8Array) {
    return signBytes(this.keys.get(address)!.privateKey, message);
  }
}

function compiledPrograms(messageBytes: ReadonlyUint8Array): Address[] {
  const compiled = getCompiledTransactionMessageDecoder().decode(messageBytes) as unknown as {
    instructions: { programAddressIndex: number }[];
    staticAccounts: Address[];
  };
  return compiled.instructions.map((i) => compiled.staticAccounts[i.programAddressIndex]!);
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (e) {
    return isSignerError(e) ? e.code : `other: ${String(e)}`;
  }
}

describe('planTransfer', () => {
  it('lists the programs buildTransfer compiles and the fee the ledger charges', async () => {
    const ledger = new TestLedger();
    const custody = new KeyPairCustody();
    const { address: from } = await custody.createWallet();
    ledger.fund(from, 10_000_000_000n);
    const to = (await generateKeyPairSigner()).address;
    const lifetime = { blockhash: ledger.svm.latestBlockhash(), lastValidBlockHeight: 1_000n };
    const mint = await ledger.createMint(TOKEN_2022_PROGRAM_ADDRESS, 6, from, 9_000n);

    const cases = [
      { kind: 'SOL' as const, from, to, amount: 1_000_000n, lifetime },
      {
        kind: 'SOL' as const,
        from,
        to,
        amount: 1_000_000n,
        memo: 'invoice 7',
        priorityFee: { microLamports: 1_500_000n },
        lifetime,
      },
      {
        kind: 'TOKEN' as const,
        from,
        to,
        mint,
        amount: 5n,
        mintInfo: { address: mint, programAddress: TOKEN_2022_PROGRAM_ADDRESS, decimals: 6 },
        createRecipientAta: 'always' as const,
        memo: 'm',
        lifetime,
      },
    ];
    for (const params of cases) {
      const built = await buildTransfer(params, { rpc: ledger.rpc });
      expect(built.plan.programs).toEqual([...new Set(compiledPrograms(built.messageBytes))]);
      const before = ledger.balance(from);
      expectSuccess(ledger.sendWire((await signTransfer(built, custody)).wireBytes));
      const sol = params.kind === 'SOL' ? params.amount : 0n;
      const rent = before - ledger.balance(from) - sol - built.plan.fee;
      // The only other cost is the rent of a token account created for the recipient.
      if (params.kind === 'SOL') expect(rent).toBe(0n);
      else expect(rent).toBeGreaterThan(0n);
    }
  });

  it('computes base fee × signatures + ceil(units × price / 10⁶)', () => {
    const shape = { kind: 'SOL' as const, memo: false, createsDestinationAta: false };
    expect(
      planTransfer({ ...shape, computeUnitLimit: 600, priorityFeeMicroLamports: 0n }).fee,
    ).toBe(5_000n);
    expect(
      planTransfer({ ...shape, computeUnitLimit: 600, priorityFeeMicroLamports: 1n }).fee,
    ).toBe(5_001n);
    expect(
      planTransfer({ ...shape, computeUnitLimit: 200_000, priorityFeeMicroLamports: 10_000n }).fee,
    ).toBe(7_000n);
    expect(
      planTransfer({
        kind: 'TOKEN',
        tokenProgram: TOKEN_PROGRAM_ADDRESS,
        memo: false,
        createsDestinationAta: true,
        computeUnitLimit: 60_000,
        priorityFeeMicroLamports: 0n,
      }).programs,
    ).toEqual([
      'ComputeBudget111111111111111111111111111111',
      'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL',
      TOKEN_PROGRAM_ADDRESS,
    ]);
  });
});

describe('assertRecipientCanReceive', () => {
  const from = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
  const to = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';

  it('refuses the sender itself, programs, sysvars and executable accounts', () => {
    const sol = { kind: 'SOL' as const, amount: 1_000_000_000n };
    expect(codeOf(() => assertRecipientCanReceive({ ...sol, from, to: from }))).toBe(
      'RECIPIENT_IS_SENDER',
    );
    for (const reserved of [
      '11111111111111111111111111111111',
      'SysvarRent111111111111111111111111111111111',
      'Stake11111111111111111111111111111111111111',
      TOKEN_PROGRAM_ADDRESS,
    ]) {
      expect(codeOf(() => assertRecipientCanReceive({ ...sol, from, to: reserved }))).toBe(
        'RECIPIENT_IS_PROGRAM',
      );
    }
    expect(
      codeOf(() =>
        assertRecipientCanReceive({
          ...sol,
          from,
          to,
          account: { lamports: 1n, executable: true },
        }),
      ),
    ).toBe('RECIPIENT_IS_PROGRAM');
  });

  it('refuses a first SOL transfer below rent exemption, and only that', () => {
    const min = RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT;
    const check = (amount: bigint, account: { lamports: bigint; executable: boolean } | null) =>
      codeOf(() => assertRecipientCanReceive({ kind: 'SOL', from, to, amount, account }));
    expect(check(min - 1n, null)).toBe('RECIPIENT_BELOW_RENT_EXEMPTION');
    expect(check(min, null)).toBe('ok');
    expect(check(1n, { lamports: min, executable: false })).toBe('ok');
    expect(
      codeOf(() =>
        assertRecipientCanReceive({ kind: 'TOKEN', from, to, amount: 1n, account: null }),
      ),
    ).toBe('ok');
  });

  it('refuses a sender that cannot pay amount + fee, or would be left below rent exemption', () => {
    const min = RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT;
    const sol = (lamports: bigint, amount: bigint) =>
      codeOf(() =>
        assertSenderCanPay({ from, kind: 'SOL', amount, fee: 5_000n, funds: { lamports } }),
      );
    expect(sol(1_000_000n, 995_000n)).toBe('ok'); // emptied exactly
    expect(sol(1_000_000n, 995_001n)).toBe('INSUFFICIENT_FUNDS');
    expect(sol(10_000_000n, 10_000_000n - 5_000n - min)).toBe('ok');
    expect(sol(10_000_000n, 10_000_000n - 5_000n - min + 1n)).toBe('INSUFFICIENT_FUNDS');
    expect(sol(0n, 1n)).toBe('INSUFFICIENT_FUNDS');
    const token = (lamports: bigint, balance: bigint | null, amount: bigint) =>
      codeOf(() =>
        assertSenderCanPay({
          from,
          kind: 'TOKEN',
          mint: to,
          amount,
          fee: 5_000n,
          funds: { lamports, token: balance },
        }),
      );
    expect(token(min + 5_000n, 10n, 10n)).toBe('ok');
    expect(token(min + 5_000n, 9n, 10n)).toBe('INSUFFICIENT_FUNDS');
    expect(token(min + 5_000n, null, 1n)).toBe('INSUFFICIENT_FUNDS');
    expect(token(4_999n, 10n, 1n)).toBe('INSUFFICIENT_FUNDS'); // the fee is paid in SOL
  });

  it("the sender's remainder rule is what the ledger enforces", async () => {
    const ledger = new TestLedger();
    const custody = new KeyPairCustody();
    const recipient = (await generateKeyPairSigner()).address;
    ledger.fund(recipient, RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT);
    const sendLeaving = async (left: bigint) => {
      const { address: payer } = await custody.createWallet();
      ledger.fund(payer, 10_000_000n);
      const built = await buildTransfer(
        { kind: 'SOL', from: payer, to: recipient, amount: 10_000_000n - 5_000n - left },
        { rpc: ledger.rpc },
      );
      expect(built.plan.fee).toBe(5_000n);
      return ledger.sendWire((await signTransfer(built, custody)).wireBytes);
    };
    expect(await sendLeaving(RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT - 1n)).toBeInstanceOf(
      FailedTransactionMetadata,
    );
    expectSuccess(await sendLeaving(RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT));
    expectSuccess(await sendLeaving(0n));
  });

  it('the minimum is what the ledger enforces', async () => {
    const ledger = new TestLedger();
    const custody = new KeyPairCustody();
    const { address: payer } = await custody.createWallet();
    ledger.fund(payer, 10_000_000_000n);
    const send = async (amount: bigint) => {
      const fresh = (await generateKeyPairSigner()).address;
      const built = await buildTransfer(
        { kind: 'SOL', from: payer, to: fresh, amount },
        {
          rpc: ledger.rpc,
        },
      );
      return ledger.sendWire((await signTransfer(built, custody)).wireBytes);
    };
    expect(await send(RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT - 1n)).toBeInstanceOf(
      FailedTransactionMetadata,
    );
    expectSuccess(await send(RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT));
  });
});
