import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSolanaRpc, generateKeyPairSigner } from '@solana/kit';
import { TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';
import { startLocalLedger, type LocalLedger } from '../src/index.js';
import { mintTo } from '../src/testing.js';

describe('mintTo (test set-up)', () => {
  let ledger: LocalLedger;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('creates a mint and gives the owner the amount in its associated token account', async () => {
    const owner = await generateKeyPairSigner();
    const mint = await mintTo(ledger, owner.address, 6, 5_000_000n);
    const rpc = createSolanaRpc(ledger.url);
    const { value } = await rpc
      .getTokenAccountsByOwner(
        owner.address,
        { programId: TOKEN_PROGRAM_ADDRESS },
        { encoding: 'jsonParsed', commitment: 'confirmed' },
      )
      .send();
    expect(value).toHaveLength(1);
    const info = value[0]!.account.data.parsed.info as {
      mint: string;
      tokenAmount: { amount: string; decimals: number };
    };
    expect(info).toMatchObject({ mint, tokenAmount: { amount: '5000000', decimals: 6 } });
  });
});
