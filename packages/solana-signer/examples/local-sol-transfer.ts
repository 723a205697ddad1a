/* eslint-disable no-console -- an example prints its result */
// Build and sign a SOL transfer with the local keystore.
//   DATABASE_URL=postgresql://...  (a migrated WAIaaS database: pnpm --filter @waiaas/database db:migrate)
//   KEYSTORE_MASTER_KEY=$(openssl rand -base64 32)   (optional here: falls back to the dev key)
//   SOLANA_RPC_URL=http://127.0.0.1:8899             (optional: without it a placeholder blockhash is used)
//   pnpm --filter @waiaas/solana-signer example
import { address, blockhash } from '@solana/kit';
import { createPrismaClient } from '@waiaas/database';
import {
  LocalKeystoreCustody,
  buildTransfer,
  createRpc,
  loadMasterKeys,
  signTransfer,
} from '@waiaas/solana-signer';

const prisma = createPrismaClient({ url: process.env.DATABASE_URL! });
try {
  // Start-up: throws on a weak or missing key unless in development.
  const masterKeys = loadMasterKeys({
    key: process.env.KEYSTORE_MASTER_KEY,
    allowDevDefault: true,
  });
  for (const warning of masterKeys.warnings) console.warn(warning);
  const custody = new LocalKeystoreCustody(prisma, masterKeys);

  const wallet = await custody.createWallet(); // key sealed with AES-256-GCM in local_keys
  const rpc = process.env.SOLANA_RPC_URL
    ? createRpc({ url: process.env.SOLANA_RPC_URL, timeoutMs: 5_000, retries: 2 })
    : undefined;
  const built = await buildTransfer(
    {
      kind: 'SOL',
      from: wallet.address,
      to: address('9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'),
      amount: 1_000_000n, // lamports, always bigint
      memo: 'WAIaaS example',
      priorityFee: { microLamports: 1_000n },
      // Offline: a caller-supplied lifetime instead of getLatestBlockhash.
      ...(rpc
        ? {}
        : {
            lifetime: {
              blockhash: blockhash('4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY'),
              lastValidBlockHeight: 150n,
            },
          }),
    },
    rpc ? { rpc } : {},
  );
  const signed = await signTransfer(built, custody); // the signature is known before anything is sent
  console.log({
    wallet: wallet.address,
    signature: signed.signature,
    blockhash: signed.blockhash,
    lastValidBlockHeight: signed.lastValidBlockHeight,
    wireBase64: signed.wireBase64,
  });
} finally {
  await prisma.$disconnect();
}
