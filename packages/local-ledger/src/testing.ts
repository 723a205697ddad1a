/**
 * `@waiaas/local-ledger/testing`: set-up helpers for tests that run against a
 * {@link LocalLedger}, shared so every package's tests make tokens the same way.
 */
import {
  type Address,
  appendTransactionMessageInstructions,
  createSolanaRpc,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  type Instruction,
  type KeyPairSigner,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import { getCreateAccountInstruction } from '@solana-program/system';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstructionAsync,
  getInitializeMint2Instruction,
  getMintSize,
  getMintToInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';
import type { LocalLedger } from './local-ledger.js';

/** Sends `instructions` paid by `payer` through the ledger's RPC, then moves two slots on. */
async function send(
  ledger: LocalLedger,
  payer: KeyPairSigner,
  instructions: Instruction[],
): Promise<void> {
  const rpc = createSolanaRpc(ledger.url);
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64' }).send();
  ledger.advanceSlots(2);
}

/**
 * Creates an SPL Token mint on the ledger and mints `amount` base units to `owner`'s
 * associated token account; returns the mint's address.
 *
 * @example
 * ```ts
 * const mint = await mintTo(ledger, wallet, 6, 5_000_000n); // 5 tokens of 6 decimals
 * ```
 */
export async function mintTo(
  ledger: LocalLedger,
  owner: Address,
  decimals: number,
  amount: bigint,
): Promise<Address> {
  const [payer, mint] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner()]);
  await ledger.airdrop(payer.address, 10_000_000_000n);
  ledger.advanceSlots(1);
  const rpc = createSolanaRpc(ledger.url);
  const space = BigInt(getMintSize());
  const rent = await rpc.getMinimumBalanceForRentExemption(space).send();
  await send(ledger, payer, [
    getCreateAccountInstruction({
      payer,
      newAccount: mint,
      lamports: rent,
      space,
      programAddress: TOKEN_PROGRAM_ADDRESS,
    }),
    getInitializeMint2Instruction({ mint: mint.address, decimals, mintAuthority: payer.address }),
  ]);
  const [ata] = await findAssociatedTokenPda({
    owner,
    mint: mint.address,
    tokenProgram: TOKEN_PROGRAM_ADDRESS,
  });
  await send(ledger, payer, [
    await getCreateAssociatedTokenIdempotentInstructionAsync({ payer, owner, mint: mint.address }),
    getMintToInstruction({ mint: mint.address, token: ata, mintAuthority: payer, amount }),
  ]);
  return mint.address;
}
