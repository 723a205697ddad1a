import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Blockhash,
  type Instruction,
  type Rpc as KitRpc,
  type SolanaRpcApi,
  type KeyPairSigner,
  type Signature,
  type TransactionSigner,
} from '@solana/kit';

export type Rpc = KitRpc<SolanaRpcApi>;

/** Builds, signs and encodes a transaction with kit, the way the service does. */
export async function buildTransaction(
  payer: TransactionSigner,
  instructions: Instruction[],
  lifetime: { blockhash: Blockhash; lastValidBlockHeight: bigint },
  version: 0 | 'legacy' = 0,
): Promise<{ wire: ReturnType<typeof getBase64EncodedWireTransaction>; signature: Signature }> {
  const message = pipe(
    createTransactionMessage({ version }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  return {
    wire: getBase64EncodedWireTransaction(signed),
    signature: getSignatureFromTransaction(signed),
  };
}

/** Sends a transaction through the RPC with the latest processed blockhash. */
export async function send(
  rpc: Rpc,
  payer: KeyPairSigner,
  instructions: Instruction[],
  options: { skipPreflight?: boolean } = {},
): Promise<Signature> {
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
  const { wire } = await buildTransaction(payer, instructions, lifetime);
  return rpc
    .sendTransaction(wire, { encoding: 'base64', skipPreflight: options.skipPreflight ?? false })
    .send();
}
