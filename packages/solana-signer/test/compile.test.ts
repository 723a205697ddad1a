// The cheaper compile (compileTransfer: kit's compileTransactionMessage, then an encoder built
// once over addresses decoded once) must produce exactly the bytes kit's compileTransaction
// produces. Two ways: every kind of transfer built by buildTransfer against the same transfer
// built the way it was before (kit's compileTransaction, inline here), signed both ways; and
// random messages (random accounts, roles, programs and data) compiled by both.
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  type Address,
  type Blockhash,
  type Instruction,
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  createNoopSigner,
  createTransactionMessage,
  generateKeyPair,
  getAddressDecoder,
  getAddressFromPublicKey,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signBytes,
} from '@solana/kit';
import {
  COMPUTE_BUDGET_PROGRAM_ADDRESS,
  getSetComputeUnitLimitInstruction,
  getSetComputeUnitPriceInstruction,
} from '@solana-program/compute-budget';
import { getAddMemoInstruction } from '@solana-program/memo';
import { SYSTEM_PROGRAM_ADDRESS, getTransferSolInstruction } from '@solana-program/system';
import {
  ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getTransferCheckedInstruction,
} from '@solana-program/token';
import { compileTransfer } from '../src/compile.js';
import {
  type KeyCustody,
  type TransferParams,
  DEFAULT_MEMO_PROGRAM_ADDRESS,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  buildTransfer,
  signTransfer,
} from '../src/index.js';

const addressDecoder = getAddressDecoder();
const randomAddress = (): Address => addressDecoder.decode(randomBytes(32));
const randomBlockhash = (): Blockhash => randomAddress() as string as Blockhash;

/** The transfer compiled the way buildTransfer did before: kit's compileTransaction. */
async function compiledByKit(params: TransferParams & { computeUnitLimit: number }) {
  const payer = createNoopSigner(params.from);
  const fee =
    params.priorityFee && 'microLamports' in params.priorityFee ? params.priorityFee : null;
  const instructions: Instruction[] = [
    getSetComputeUnitLimitInstruction({ units: params.computeUnitLimit }),
  ];
  if (fee !== null && fee.microLamports > 0n) {
    instructions.push(getSetComputeUnitPriceInstruction({ microLamports: fee.microLamports }));
  }
  if (params.kind === 'SOL') {
    instructions.push(
      getTransferSolInstruction({ source: payer, destination: params.to, amount: params.amount }),
    );
  } else {
    const { address: mint, programAddress: tokenProgram, decimals } = params.mintInfo!;
    const [[sourceAta], [destinationAta]] = await Promise.all([
      findAssociatedTokenPda({ owner: params.from, mint, tokenProgram }),
      findAssociatedTokenPda({ owner: params.to, mint, tokenProgram }),
    ]);
    if (params.createRecipientAta === 'always') {
      instructions.push(
        getCreateAssociatedTokenIdempotentInstruction({
          payer,
          ata: destinationAta,
          owner: params.to,
          mint,
          tokenProgram,
        }),
      );
    }
    instructions.push(
      getTransferCheckedInstruction(
        {
          source: sourceAta,
          mint,
          destination: destinationAta,
          authority: payer,
          amount: params.amount,
          decimals,
        },
        { programAddress: tokenProgram },
      ),
    );
  }
  if (params.memo !== undefined) {
    instructions.push(
      getAddMemoInstruction(
        { memo: params.memo },
        { programAddress: DEFAULT_MEMO_PROGRAM_ADDRESS },
      ),
    );
  }
  return compileTransaction(
    pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(params.lifetime!, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    ),
  );
}

async function keyPairCustody(): Promise<{
  custody: KeyCustody;
  address: Address;
  key: CryptoKey;
}> {
  const pair = await generateKeyPair();
  const address = await getAddressFromPublicKey(pair.publicKey);
  const custody: KeyCustody = {
    kind: 'LOCAL',
    createWallet: () => Promise.reject(new Error('not used')),
    signMessage: (_address, message) => signBytes(pair.privateKey, message),
  };
  return { custody, address, key: pair.privateKey };
}

describe('buildTransfer compiles the bytes kit compiles', () => {
  it('for SOL, memo, SPL Token and Token-2022 transfers, and signs them to the same wire bytes', async () => {
    const { custody, address: from, key } = await keyPairCustody();
    const to = randomAddress();
    const lifetime = { blockhash: randomBlockhash(), lastValidBlockHeight: 1_234n };
    const mintOf = (programAddress: Address) => {
      const address = randomAddress();
      return { mint: address, mintInfo: { address, programAddress, decimals: 6 } };
    };
    const spl = mintOf(TOKEN_PROGRAM_ADDRESS);
    const token2022 = mintOf(TOKEN_2022_PROGRAM_ADDRESS);
    const base = { from, to, lifetime, computeUnitLimit: 600 + randomInt(65_536) };
    const transfers: (TransferParams & { computeUnitLimit: number })[] = [
      { kind: 'SOL', ...base, amount: 1n },
      { kind: 'SOL', ...base, amount: 2_000_000_000n, priorityFee: { microLamports: 1_000n } },
      { kind: 'SOL', ...base, amount: 5n, memo: 'invoice 42 — ünïcødé ✓' },
      { kind: 'SOL', ...base, amount: 18_446_744_073_709_551_615n, memo: '' },
      { kind: 'TOKEN', ...base, ...spl, amount: 2_500_000n, createRecipientAta: 'always' },
      { kind: 'TOKEN', ...base, ...spl, amount: 1n, createRecipientAta: 'never', memo: 'x' },
      {
        kind: 'TOKEN',
        ...base,
        ...token2022,
        amount: 7n,
        createRecipientAta: 'always',
        memo: 'token-2022',
        priorityFee: { microLamports: 3n },
      },
      { kind: 'TOKEN', ...base, ...token2022, amount: 9n, createRecipientAta: 'never' },
    ];
    for (const params of transfers) {
      const expected = await compiledByKit(params);
      const built = await buildTransfer(params);
      expect(Buffer.from(built.messageBytes).toString('hex')).toBe(
        Buffer.from(expected.messageBytes).toString('hex'),
      );
      expect(built.transaction).toEqual(expected);

      const signed = await signTransfer(built, custody);
      const expectedSigned = {
        ...expected,
        signatures: { [from]: await signBytes(key, expected.messageBytes) },
      };
      expect(signed.signature).toBe(getSignatureFromTransaction(expectedSigned));
      expect(signed.wireBase64).toBe(getBase64EncodedWireTransaction(expectedSigned));
      expect(Buffer.from(signed.wireBytes).toString('hex')).toBe(
        Buffer.from(getTransactionEncoder().encode(expectedSigned)).toString('hex'),
      );
    }
  });
});

describe('compileTransfer', () => {
  const programs = [
    SYSTEM_PROGRAM_ADDRESS,
    COMPUTE_BUDGET_PROGRAM_ADDRESS,
    DEFAULT_MEMO_PROGRAM_ADDRESS,
    TOKEN_PROGRAM_ADDRESS,
    TOKEN_2022_PROGRAM_ADDRESS,
    ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
  ];
  const roles = [
    AccountRole.READONLY,
    AccountRole.WRITABLE,
    AccountRole.READONLY_SIGNER,
    AccountRole.WRITABLE_SIGNER,
  ];
  const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;

  /** A message of 1–8 instructions over a few accounts, each used with random roles. */
  function randomMessage() {
    const accounts = Array.from({ length: 1 + randomInt(10) }, randomAddress);
    const feePayer = pick(accounts);
    const instructions: Instruction[] = Array.from({ length: 1 + randomInt(8) }, () => ({
      programAddress: pick(programs),
      accounts: Array.from({ length: randomInt(6) }, () =>
        // Programs may also be passed as (read-only) accounts, as the token instructions do.
        randomInt(5) === 0
          ? { address: pick(programs), role: AccountRole.READONLY }
          : { address: pick(accounts), role: pick(roles) },
      ),
      ...(randomInt(4) === 0 ? {} : { data: randomBytes(randomInt(200)) }),
    }));
    return pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(feePayer, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: randomBlockhash(), lastValidBlockHeight: BigInt(randomInt(1_000_000)) },
          m,
        ),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
  }

  it('returns what kit compileTransaction returns, for 300 random messages', () => {
    for (let i = 0; i < 300; i++) {
      const message = randomMessage();
      const expected = compileTransaction(message);
      const compiled = compileTransfer(message);
      expect(Buffer.from(compiled.messageBytes).toString('hex')).toBe(
        Buffer.from(expected.messageBytes).toString('hex'),
      );
      expect(compiled).toEqual(expected);
    }
  });

  it('refuses what kit refuses (an invoked program that is writable)', () => {
    const [payer, program] = [randomAddress(), randomAddress()];
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(payer, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: randomBlockhash(), lastValidBlockHeight: 1n },
          m,
        ),
      (m) =>
        appendTransactionMessageInstructions(
          [
            {
              programAddress: program,
              accounts: [{ address: program, role: AccountRole.WRITABLE }],
            },
          ],
          m,
        ),
    );
    expect(() => compileTransaction(message)).toThrow();
    expect(() => compileTransfer(message)).toThrow();
  });

  it('refuses a blockhash that is not 32 bytes instead of padding it', () => {
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(randomAddress(), m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: '1111' as Blockhash, lastValidBlockHeight: 1n },
          m,
        ),
    );
    expect(() => compileTransfer(message)).toThrow();
  });
});
