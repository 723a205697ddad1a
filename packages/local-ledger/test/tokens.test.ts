import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSolanaRpc,
  generateKeyPairSigner,
  lamports,
  type Address,
  type KeyPairSigner,
} from '@solana/kit';
import { getCreateAccountInstruction } from '@solana-program/system';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstructionAsync,
  getInitializeMint2Instruction,
  getMintSize,
  getMintToInstruction,
  getTransferCheckedInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';
import { startLocalLedger, type LocalLedger } from '../src/index.js';
import { send, type Rpc } from './helpers.js';

const TOKEN_2022_PROGRAM_ADDRESS = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb' as Address;

describe.each([
  ['SPL Token', TOKEN_PROGRAM_ADDRESS, 'spl-token'],
  ['Token-2022', TOKEN_2022_PROGRAM_ADDRESS, 'spl-token-2022'],
] as const)('%s mint and transfers through the RPC', (_name, tokenProgram, programName) => {
  let ledger: LocalLedger;
  let rpc: Rpc;
  let payer: KeyPairSigner;
  let recipient: KeyPairSigner;
  let mint: KeyPairSigner;
  let sourceAta: Address;
  let destinationAta: Address;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
    rpc = createSolanaRpc(ledger.url);
    [payer, recipient, mint] = await Promise.all([
      generateKeyPairSigner(),
      generateKeyPairSigner(),
      generateKeyPairSigner(),
    ]);
    await rpc.requestAirdrop(payer.address, lamports(10_000_000_000n)).send();
    [sourceAta] = await findAssociatedTokenPda({
      owner: payer.address,
      mint: mint.address,
      tokenProgram,
    });
    [destinationAta] = await findAssociatedTokenPda({
      owner: recipient.address,
      mint: mint.address,
      tokenProgram,
    });
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('creates a mint owned by the token program', async () => {
    const space = BigInt(getMintSize());
    const rent = await rpc.getMinimumBalanceForRentExemption(space).send();
    await send(rpc, payer, [
      getCreateAccountInstruction({
        payer,
        newAccount: mint,
        lamports: rent,
        space,
        programAddress: tokenProgram,
      }),
      getInitializeMint2Instruction(
        { mint: mint.address, decimals: 6, mintAuthority: payer.address },
        { programAddress: tokenProgram },
      ),
    ]);
    const { value } = await rpc
      .getAccountInfo(mint.address, { encoding: 'jsonParsed', commitment: 'processed' })
      .send();
    expect(value?.owner).toBe(tokenProgram);
    expect(value?.data).toEqual({
      program: programName,
      parsed: {
        type: 'mint',
        info: {
          decimals: 6,
          freezeAuthority: null,
          isInitialized: true,
          mintAuthority: payer.address,
          supply: '0',
        },
      },
      space: 82n,
    });
  });

  it('creates ATAs idempotently, mints and transfers with transferChecked', async () => {
    const createSource = await getCreateAssociatedTokenIdempotentInstructionAsync({
      payer,
      owner: payer.address,
      mint: mint.address,
      tokenProgram,
    });
    const createDestination = await getCreateAssociatedTokenIdempotentInstructionAsync({
      payer,
      owner: recipient.address,
      mint: mint.address,
      tokenProgram,
    });
    await send(rpc, payer, [
      createSource,
      createDestination,
      getMintToInstruction(
        { mint: mint.address, token: sourceAta, mintAuthority: payer, amount: 5_000_000_000n },
        { programAddress: tokenProgram },
      ),
    ]);
    const signature = await send(rpc, payer, [
      createDestination, // idempotent: already exists, still succeeds
      getTransferCheckedInstruction(
        {
          source: sourceAta,
          mint: mint.address,
          destination: destinationAta,
          authority: payer,
          amount: 1_250_000n,
          decimals: 6,
        },
        { programAddress: tokenProgram },
      ),
    ]);

    const source = await rpc.getTokenAccountBalance(sourceAta, { commitment: 'processed' }).send();
    expect(source.value).toEqual({
      amount: '4998750000',
      decimals: 6,
      uiAmount: 4998.75,
      uiAmountString: '4998.75',
    });
    const destination = await rpc
      .getTokenAccountBalance(destinationAta, { commitment: 'processed' })
      .send();
    expect(destination.value).toEqual({
      amount: '1250000',
      decimals: 6,
      uiAmount: 1.25,
      uiAmountString: '1.25',
    });

    ledger.advanceSlots(1);
    const tx = await rpc
      .getTransaction(signature, {
        commitment: 'confirmed',
        maxSupportedTransactionVersion: 0,
        encoding: 'json',
      })
      .send();
    expect(tx?.meta?.err).toBeNull();
    const pre = tx?.meta?.preTokenBalances?.find((b) => b.owner === recipient.address);
    const post = tx?.meta?.postTokenBalances?.find((b) => b.owner === recipient.address);
    expect(pre?.uiTokenAmount.amount).toBe('0');
    expect(post).toMatchObject({
      mint: mint.address,
      programId: tokenProgram,
      uiTokenAmount: { amount: '1250000', decimals: 6 },
    });
  });

  it('lists token accounts by owner, by mint or by program id', async () => {
    const byMint = await rpc
      .getTokenAccountsByOwner(recipient.address, { mint: mint.address }, { encoding: 'base64' })
      .send();
    expect(byMint.value.map((a) => a.pubkey)).toEqual([destinationAta]);
    expect(byMint.value[0]?.account.owner).toBe(tokenProgram);

    const byProgram = await rpc
      .getTokenAccountsByOwner(
        payer.address,
        { programId: tokenProgram },
        { encoding: 'jsonParsed' },
      )
      .send();
    expect(byProgram.value).toHaveLength(1);
    expect(byProgram.value[0]?.pubkey).toBe(sourceAta);
    expect(byProgram.value[0]?.account.data.parsed.info).toMatchObject({
      mint: mint.address,
      owner: payer.address,
      state: 'initialized',
      tokenAmount: { amount: '4998750000', decimals: 6, uiAmountString: '4998.75' },
    });

    const none = await rpc
      .getTokenAccountsByOwner(mint.address, { mint: mint.address }, { encoding: 'base64' })
      .send();
    expect(none.value).toEqual([]);
  });

  it('answers like a validator for a non-token account', async () => {
    await expect(rpc.getTokenAccountBalance(payer.address).send()).rejects.toMatchObject({
      context: { __code: -32602, __serverMessage: 'Invalid param: not a Token account' },
    });
  });
});
