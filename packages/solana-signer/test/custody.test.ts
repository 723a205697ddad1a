// signWithCustody: a custody answering with a signature by another key is caught before the
// transaction is recorded as signed, also for an address whose public key is already known.
import { describe, expect, it } from '@jest/globals';
import { type Address, generateKeyPairSigner, type KeyPairSigner } from '@solana/kit';
import { type KeyCustody, isSignerError, signWithCustody } from '../src/index.js';

/** A custody whose keys are in memory, told which key to answer with for an address. */
function custodyAnswering(signers: Map<Address, KeyPairSigner>): KeyCustody {
  return {
    kind: 'LOCAL',
    createWallet: () => Promise.reject(new Error('not used')),
    async signMessage(address, message) {
      const signer = signers.get(address);
      if (signer === undefined) throw new Error(`no key for ${address}`);
      const [signatures] = await signer.signMessages([
        { content: new Uint8Array(message), signatures: {} },
      ]);
      return new Uint8Array(signatures![signer.address]!);
    },
  };
}

describe('signWithCustody', () => {
  it('returns a signature of the address and refuses one made with another key', async () => {
    const [wallet, other] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner()]);
    const message = new TextEncoder().encode('transfer 1 SOL');
    const answers = new Map<Address, KeyPairSigner>([[wallet.address, wallet]]);
    const custody = custodyAnswering(answers);

    // First a good signature (the address's public key is now remembered) …
    expect(await signWithCustody(custody, wallet.address, message)).toHaveLength(64);
    // … then the same custody answers with another key's signature.
    answers.set(wallet.address, other);
    const refused = await signWithCustody(custody, wallet.address, message).catch(
      (e: unknown) => e,
    );
    expect(isSignerError(refused) && refused.code).toBe('CUSTODY_SIGNING_FAILED');
    expect((refused as Error).message).toContain('does not verify');

    // Without the check (verify: false) the bad signature would have been handed out.
    expect(await signWithCustody(custody, wallet.address, message, { verify: false })).toHaveLength(
      64,
    );
  });

  it('trusts a custody that checks its keys against their addresses, unless told to verify', async () => {
    const [wallet, other] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner()]);
    const message = new TextEncoder().encode('transfer 2 SOL');
    // A custody claiming the check while answering with another key: only to show which
    // signatures are verified. The local keystore's own check is in local-keystore.test.ts.
    const custody: KeyCustody = {
      ...custodyAnswering(new Map([[wallet.address, other]])),
      checksKeysAgainstAddresses: true,
    };
    expect(await signWithCustody(custody, wallet.address, message)).toHaveLength(64);
    await expect(
      signWithCustody(custody, wallet.address, message, { verify: true }),
    ).rejects.toMatchObject({ code: 'CUSTODY_SIGNING_FAILED' });
  });
});
