// A LiteSVM ledger for tests, with a kit RPC over it (a custom transport answering the few
// JSON-RPC methods the builders use, in the shapes a validator returns), so buildTransfer
// runs unchanged against a real SVM without a network.
import {
  type Address,
  type Rpc,
  type RpcTransport,
  type SolanaRpcApi,
  type TransactionSigner,
  appendTransactionMessageInstructions,
  createSolanaRpcFromTransport,
  createTransactionMessage,
  generateKeyPairSigner,
  getTransactionDecoder,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Instruction,
} from '@solana/kit';
import { getCreateAccountInstruction } from '@solana-program/system';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getInitializeMint2Instruction,
  getMintToCheckedInstruction,
  getTokenDecoder,
} from '@solana-program/token';
import { FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from 'litesvm';

export class TestLedger {
  readonly svm = new LiteSVM();
  /** Samples `getRecentPrioritizationFees` answers with; `calls` records the accounts asked about. */
  prioritizationFees: bigint[] = [];
  readonly priorityFeeCalls: string[][] = [];
  readonly rpc: Rpc<SolanaRpcApi>;

  constructor() {
    const transport: RpcTransport = <T>({ payload }: { payload: unknown }) => {
      const { id, method, params } = payload as { id: number; method: string; params: unknown[] };
      return Promise.resolve({ jsonrpc: '2.0', id, result: this.answer(method, params) } as T);
    };
    this.rpc = createSolanaRpcFromTransport(transport);
  }

  private answer(method: string, params: unknown[]): unknown {
    const context = { slot: Number(this.svm.getClock().slot) };
    switch (method) {
      case 'getLatestBlockhash':
        return {
          context,
          value: {
            blockhash: this.svm.latestBlockhash(),
            lastValidBlockHeight: context.slot + 150,
          },
        };
      case 'getAccountInfo': {
        const account = this.svm.getAccount(params[0] as Address);
        if (!account.exists) return { context, value: null };
        return {
          context,
          value: {
            data: [Buffer.from(account.data).toString('base64'), 'base64'],
            executable: account.executable,
            lamports: Number(account.lamports),
            owner: account.programAddress,
            rentEpoch: 0,
            space: account.data.length,
          },
        };
      }
      case 'getRecentPrioritizationFees':
        this.priorityFeeCalls.push(params[0] as string[]);
        return this.prioritizationFees.map((fee, i) => ({
          slot: context.slot - i,
          prioritizationFee: Number(fee),
        }));
      default:
        throw new Error(`TestLedger: unexpected RPC method ${method}`);
    }
  }

  /** Executes wire bytes as a cluster would receive them. */
  sendWire(wire: Uint8Array): TransactionMetadata | FailedTransactionMetadata {
    return this.svm.sendTransaction(getTransactionDecoder().decode(wire));
  }

  balance(address: Address): bigint {
    return this.svm.getBalance(address) ?? 0n;
  }

  fund(address: Address, amount: bigint): void {
    const r = this.svm.airdrop(address, lamports(amount));
    if (r instanceof FailedTransactionMetadata || r === null)
      throw new Error(`airdrop failed: ${String(r)}`);
  }

  async run(payer: TransactionSigner, instructions: Instruction[]): Promise<void> {
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash(
          { blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: 0n },
          m,
        ),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const result = this.svm.sendTransaction(await signTransactionMessageWithSigners(message));
    if (result instanceof FailedTransactionMetadata)
      throw new Error(`setup transaction failed: ${result.toString()}`);
  }

  /** Creates a mint owned by `tokenProgram` and gives `holder` `amount` base units in its ATA. */
  async createMint(
    tokenProgram: Address,
    decimals: number,
    holder: Address,
    amount: bigint,
  ): Promise<Address> {
    const authority = await generateKeyPairSigner();
    const mint = await generateKeyPairSigner();
    this.fund(authority.address, 10_000_000_000n);
    const [ata] = await findAssociatedTokenPda({ owner: holder, mint: mint.address, tokenProgram });
    await this.run(authority, [
      getCreateAccountInstruction({
        payer: authority,
        newAccount: mint,
        lamports: this.svm.minimumBalanceForRentExemption(82n),
        space: 82,
        programAddress: tokenProgram,
      }),
      getInitializeMint2Instruction(
        { mint: mint.address, decimals, mintAuthority: authority.address },
        { programAddress: tokenProgram },
      ),
      getCreateAssociatedTokenIdempotentInstruction({
        payer: authority,
        ata,
        owner: holder,
        mint: mint.address,
        tokenProgram,
      }),
      getMintToCheckedInstruction(
        { mint: mint.address, token: ata, mintAuthority: authority, amount, decimals },
        { programAddress: tokenProgram },
      ),
    ]);
    return mint.address;
  }

  /** Token balance of `owner`'s associated token account (null when it does not exist). */
  async tokenBalance(owner: Address, mint: Address, tokenProgram: Address): Promise<bigint | null> {
    const [ata] = await findAssociatedTokenPda({ owner, mint, tokenProgram });
    const account = this.svm.getAccount(ata);
    if (!account.exists) return null;
    if (account.programAddress !== tokenProgram)
      throw new Error('token account owned by another program');
    return getTokenDecoder().decode(account.data.subarray(0, 165)).amount;
  }
}

/** Asserts success and returns the metadata (with logs in the failure message). */
export function expectSuccess(
  result: TransactionMetadata | FailedTransactionMetadata,
): TransactionMetadata {
  if (result instanceof FailedTransactionMetadata) {
    throw new Error(`transaction failed: ${result.toString()}\n${result.meta().logs().join('\n')}`);
  }
  return result;
}
