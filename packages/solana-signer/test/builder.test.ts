// Builder edge cases and the kit-signer path, on LiteSVM. The custody here is a real
// Ed25519 key pair behind the KeyCustody interface (the custodies themselves are tested in
// their own suites).
import { describe, expect, it } from '@jest/globals';
import {
  type Address,
  type ReadonlyUint8Array,
  appendTransactionMessageInstructions,
  createTransactionMessage,
  generateKeyPair,
  generateKeyPairSigner,
  getAddressFromPublicKey,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signBytes,
  signTransactionMessageWithSigners,
  getCompiledTransactionMessageDecoder,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { getAddMemoInstruction } from '@solana-program/memo';
import {
  type KeyCustody,
  DEFAULT_MEMO_PROGRAM_ADDRESS,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  U64_MAX,
  buildTransfer,
  createCustodySigner,
  isSignerError,
  resolveMint,
  signTransfer,
} from '../src/index.js';
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

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => (isSignerError(e) ? e.code : `other: ${String(e)}`),
  );
}

describe('buildTransfer', () => {
  it('refuses amounts outside 1..u64 max', async () => {
    const ledger = new TestLedger();
    const from = (await generateKeyPairSigner()).address;
    for (const amount of [0n, -1n, U64_MAX + 1n]) {
      expect(
        await codeOf(buildTransfer({ kind: 'SOL', from, to: from, amount }, { rpc: ledger.rpc })),
      ).toBe('AMOUNT_OUT_OF_RANGE');
    }
  });

  it('builds offline from explicit lifetime, mint info and fee, and needs the RPC otherwise', async () => {
    const ledger = new TestLedger();
    const custody = new KeyPairCustody();
    const { address: from } = await custody.createWallet();
    ledger.fund(from, 5_000_000_000n);
    const to = (await generateKeyPairSigner()).address;
    const mint = await ledger.createMint(TOKEN_PROGRAM_ADDRESS, 3, from, 9_000n);
    const lifetime = { blockhash: ledger.svm.latestBlockhash(), lastValidBlockHeight: 1_000n };
    const built = await buildTransfer({
      kind: 'TOKEN',
      from,
      to,
      mint,
      amount: 1_234n,
      mintInfo: { address: mint, programAddress: TOKEN_PROGRAM_ADDRESS, decimals: 3 },
      createRecipientAta: 'always',
      priorityFee: { microLamports: 1n },
      lifetime,
    });
    expect(built.lastValidBlockHeight).toBe(1_000n);
    expectSuccess(ledger.sendWire((await signTransfer(built, custody)).wireBytes));
    expect(await ledger.tokenBalance(to, mint, TOKEN_PROGRAM_ADDRESS)).toBe(1_234n);

    expect(await codeOf(buildTransfer({ kind: 'SOL', from, to, amount: 1n }))).toBe(
      'INVALID_TRANSFER',
    );
    const rogue = { address: mint, programAddress: from, decimals: 3 };
    expect(
      await codeOf(
        buildTransfer({
          kind: 'TOKEN',
          from,
          to,
          mint,
          amount: 1n,
          lifetime,
          mintInfo: rogue,
          createRecipientAta: 'never',
        }),
      ),
    ).toBe('INVALID_TRANSFER');
    expect(
      await codeOf(buildTransfer({ kind: 'TOKEN', from, to, mint, amount: 1n, lifetime })),
    ).toBe('INVALID_TRANSFER');
    expect(
      await codeOf(
        buildTransfer({
          kind: 'SOL',
          from,
          to,
          amount: 1n,
          lifetime,
          priorityFee: { percentile: 50, maxMicroLamports: 10n },
        }),
      ),
    ).toBe('INVALID_TRANSFER');
  });

  it('checks decimals the caller expects against the mint', async () => {
    const ledger = new TestLedger();
    const from = (await generateKeyPairSigner()).address;
    const to = (await generateKeyPairSigner()).address;
    const mint = await ledger.createMint(TOKEN_2022_PROGRAM_ADDRESS, 6, from, 1n);
    expect(
      await codeOf(
        buildTransfer(
          { kind: 'TOKEN', from, to, mint, amount: 1n, expectedDecimals: 9 },
          { rpc: ledger.rpc },
        ),
      ),
    ).toBe('INVALID_TRANSFER');
  });

  it('uses the SPL Memo deployed everywhere by default, another memo program on request', async () => {
    const ledger = new TestLedger();
    const from = (await generateKeyPairSigner()).address;
    const to = (await generateKeyPairSigner()).address;
    const programs = async (memoProgram?: Address) => {
      const built = await buildTransfer(
        { kind: 'SOL', from, to, amount: 1n, memo: 'm' },
        { rpc: ledger.rpc, ...(memoProgram ? { memoProgram } : {}) },
      );
      const compiled = getCompiledTransactionMessageDecoder().decode(
        built.messageBytes,
      ) as unknown as {
        instructions: { programAddressIndex: number }[];
        staticAccounts: Address[];
      };
      return compiled.instructions.map((i) => compiled.staticAccounts[i.programAddressIndex]);
    };
    expect(await programs()).toContain('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');
    expect(await programs('Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo' as Address)).toContain(
      'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo',
    );
  });
});

describe('resolveMint', () => {
  it('detects the token program and decimals', async () => {
    const ledger = new TestLedger();
    const holder = (await generateKeyPairSigner()).address;
    const classic = await ledger.createMint(TOKEN_PROGRAM_ADDRESS, 0, holder, 1n);
    const t22 = await ledger.createMint(TOKEN_2022_PROGRAM_ADDRESS, 9, holder, 1n);
    expect(await resolveMint(ledger.rpc, classic)).toEqual({
      address: classic,
      programAddress: TOKEN_PROGRAM_ADDRESS,
      decimals: 0,
    });
    expect(await resolveMint(ledger.rpc, t22)).toEqual({
      address: t22,
      programAddress: TOKEN_2022_PROGRAM_ADDRESS,
      decimals: 9,
    });
  });

  it('MINT_NOT_FOUND for a missing account, MINT_INVALID for a wallet or a token account', async () => {
    const ledger = new TestLedger();
    const wallet = (await generateKeyPairSigner()).address;
    expect(await codeOf(resolveMint(ledger.rpc, wallet))).toBe('MINT_NOT_FOUND');
    ledger.fund(wallet, 1_000_000_000n);
    expect(await codeOf(resolveMint(ledger.rpc, wallet))).toBe('MINT_INVALID');
    const mint = await ledger.createMint(TOKEN_PROGRAM_ADDRESS, 2, wallet, 5n);
    const built = await buildTransfer(
      {
        kind: 'TOKEN',
        from: wallet,
        to: (await generateKeyPairSigner()).address,
        mint,
        amount: 1n,
      },
      { rpc: ledger.rpc },
    );
    expect(await codeOf(resolveMint(ledger.rpc, built.token!.sourceAta))).toBe('MINT_INVALID');
  });
});

describe('createCustodySigner', () => {
  it('signs through kit’s signer pipeline and the transaction lands', async () => {
    const ledger = new TestLedger();
    const custody = new KeyPairCustody();
    const { address } = await custody.createWallet();
    ledger.fund(address, 3_000_000_000n);
    const to = (await generateKeyPairSigner()).address;
    const signer = createCustodySigner(custody, address);
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(signer, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: ledger.svm.latestBlockhash(), lastValidBlockHeight: 0n },
          m,
        ),
      (m) =>
        appendTransactionMessageInstructions(
          [
            getTransferSolInstruction({ source: signer, destination: to, amount: 1_500_000_000n }),
            getAddMemoInstruction(
              { memo: 'kit', signers: [signer] },
              { programAddress: DEFAULT_MEMO_PROGRAM_ADDRESS },
            ),
          ],
          m,
        ),
    );
    const tx = await signTransactionMessageWithSigners(message);
    expectSuccess(ledger.svm.sendTransaction(tx));
    expect(ledger.balance(to)).toBe(1_500_000_000n);
    const [dict] = await signer.signMessages([
      { content: new Uint8Array([1, 2, 3]), signatures: {} },
    ]);
    expect(dict![address]).toHaveLength(64);
  });
});
