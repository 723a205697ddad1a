// The README example, kept compiling and runnable: `pnpm --filter @waiaas/local-ledger example`.
import {
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { startLocalLedger } from '@waiaas/local-ledger';

const ledger = await startLocalLedger({ port: 0, slotMs: 0 }); // slotMs 0: slots move only on advanceSlots
const rpc = createSolanaRpc(ledger.url);

const alice = await generateKeyPairSigner();
const bob = await generateKeyPairSigner();
await rpc.requestAirdrop(alice.address, lamports(1_000_000_000n)).send();

const { value: latestBlockhash } = await rpc.getLatestBlockhash({ commitment: 'processed' }).send();
const message = pipe(
  createTransactionMessage({ version: 0 }),
  (m) => setTransactionMessageFeePayerSigner(alice, m),
  (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
  (m) =>
    appendTransactionMessageInstruction(
      getTransferSolInstruction({ source: alice, destination: bob.address, amount: 250_000_000n }),
      m,
    ),
);
const signed = await signTransactionMessageWithSigners(message);
const signature = await rpc
  .sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64' })
  .send();

for (const slots of [0, 1, 31]) {
  ledger.advanceSlots(slots);
  const { value } = await rpc.getSignatureStatuses([signature]).send();
  console.log(
    `after ${String(slots).padStart(2)} more slots: ${value[0]?.confirmationStatus ?? 'not found'}`,
  );
}
const { value: balance } = await rpc.getBalance(bob.address).send();
console.log(`bob has ${balance} lamports`);
await ledger.close();
