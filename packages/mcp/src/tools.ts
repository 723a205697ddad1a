import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isWaiaasApiError, type TransactionStatus, type WaiaasClient } from '@waiaas/client';
import { z } from 'zod';
import { remainingDailyBudget } from './budget.js';
import { apiErrorToToolError, toolError, toolResult } from './errors.js';

const TRANSACTION_STATUSES = [
  'AWAITING_APPROVAL',
  'PENDING',
  'SUBMITTED',
  'CONFIRMED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
] as const satisfies readonly TransactionStatus[];

const walletId = z.string().uuid().describe('Wallet id (from list_wallets).');
const transactionId = z.string().uuid().describe('Transaction id (from send_transfer).');
const transfer = {
  walletId,
  to: z
    .string()
    .min(32)
    .max(44)
    .describe('Recipient Solana address (base58). For tokens: the owner, not a token account.'),
  amount: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .describe('Amount in UI units as a decimal string, e.g. "0.25" SOL. Never a number.'),
  mint: z.string().min(32).max(44).optional().describe('SPL token mint; omit for SOL.'),
  memo: z.string().max(256).optional().describe('Optional memo recorded on chain.'),
};

/**
 * Why the key is required, not generated: a model that does not see a tool's answer (timeout,
 * dropped connection, a restarted turn) calls the tool again. A random key per call would make
 * that retry a second payment; a key chosen once per intended payment and repeated on retries
 * makes the API replay the first answer instead (`replayed: true`).
 */
const idempotencyKey = z
  .string()
  .regex(/^[\x20-\x7e]{1,255}$/)
  .describe(
    'REQUIRED. A key you choose once for this one payment (e.g. "invoice-42" or a UUID you generated) ' +
      'and repeat unchanged whenever you retry the same payment: the service then returns the first ' +
      'result instead of paying twice. Use a new key only for a new, separate payment.',
  );

type ToolHandler<A> = (args: A) => Promise<CallToolResult>;

/** Runs a tool body; API errors become structured tool errors. */
function guarded<A>(body: ToolHandler<A>): ToolHandler<A> {
  return async (args) => {
    try {
      return await body(args);
    } catch (e) {
      return toolError(apiErrorToToolError(e));
    }
  };
}

/** Options of {@link registerWaiaasTools}. */
export interface WaiaasToolsOptions {
  /**
   * Longest wait of `wait_for_transaction` in seconds (default 55: MCP clients commonly give up
   * on a request after 60 s, the SDK's default; a model simply calls again to wait longer).
   */
  maxWaitSeconds?: number;
}

/**
 * Registers the agent-scoped WAIaaS tools on `server`, each call made with `client` (which
 * holds one agent key). Owner and operator actions (policies, approvals, keys) are not tools:
 * an agent must never be able to widen its own limits.
 *
 * @example
 * ```ts
 * const server = new McpServer({ name: 'waiaas', version: '0.1.0' });
 * registerWaiaasTools(server, new WaiaasClient({ baseUrl, apiKey: agentKey }));
 * ```
 */
export function registerWaiaasTools(
  server: McpServer,
  client: WaiaasClient,
  options: WaiaasToolsOptions = {},
): void {
  registerWalletTools(server, client);
  registerTransferTools(server, client);
  registerTransactionTools(server, client, options.maxWaitSeconds ?? 55);
}

/** `list_wallets` and `get_balance`: what the agent may spend from. */
function registerWalletTools(server: McpServer, client: WaiaasClient): void {
  server.registerTool(
    'list_wallets',
    {
      title: 'List wallets',
      description:
        'The Solana wallets this agent may use: { wallets: [{ id, address, label, custody }] }.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async () => {
      const { wallets } = await client.listWallets();
      return toolResult({
        wallets: wallets.map(({ id, address, label, custody }) => ({
          id,
          address,
          label,
          custody,
        })),
      });
    }),
  );

  server.registerTool(
    'get_balance',
    {
      title: 'Wallet balance',
      description:
        'SOL and token balances of a wallet: { balance: { address, sol, lamports, tokens, fetchedAt } }. Amounts are decimal strings; cached up to 10 s.',
      inputSchema: { walletId },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args: { walletId: string }) =>
      toolResult(await client.getBalance(args.walletId)),
    ),
  );
}

/** `evaluate_transfer` (a dry run) and `send_transfer`. */
function registerTransferTools(server: McpServer, client: WaiaasClient): void {
  server.registerTool(
    'evaluate_transfer',
    {
      title: 'Check a transfer against the policy',
      description:
        "Dry run of a transfer against the wallet's policy: { outcome: ALLOW | DENY | REQUIRE_APPROVAL, reasons, asset, amountBaseUnits, decimals }. Nothing is signed, sent or stored.",
      inputSchema: transfer,
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ walletId: id, ...input }: TransferArgs) => {
      const evaluation = await client.evaluateTransfer(id, input);
      return toolResult({
        outcome: evaluation.decision.outcome,
        reasons: evaluation.decision.reasons,
        asset: evaluation.asset,
        amountBaseUnits: evaluation.amountBaseUnits,
        decimals: evaluation.decimals,
      });
    }),
  );

  server.registerTool(
    'send_transfer',
    {
      title: 'Send a transfer',
      description:
        'Requests a SOL or SPL token transfer. The policy is checked first: a refusal is an error with code POLICY_DENIED, every reason and the remaining daily budget. ' +
        'Otherwise { transaction, replayed }: status PENDING (signed; use wait_for_transaction for CONFIRMED) or AWAITING_APPROVAL (the owner must approve). ' +
        'Retrying with the same idempotencyKey never pays twice (replayed: true).',
      inputSchema: { ...transfer, idempotencyKey },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    async ({
      walletId: id,
      idempotencyKey: key,
      ...input
    }: TransferArgs & { idempotencyKey: string }) => {
      try {
        const result = await client.createTransfer(id, input, { idempotencyKey: key });
        return toolResult({
          transaction: result.transaction,
          replayed: result.replayed,
          idempotencyKey: result.idempotencyKey,
        });
      } catch (e) {
        const error = apiErrorToToolError(e);
        if (isWaiaasApiError(e, 'POLICY_DENIED')) {
          // The denial is the answer; a failed budget lookup must not hide its reasons.
          const budget = await remainingDailyBudget(client, id, input, e.reasons).catch(
            () => undefined,
          );
          if (budget !== undefined) error.remainingDailyBudget = budget;
        }
        return toolError(error);
      }
    },
  );
}

/** `get_transaction`, `wait_for_transaction` and `list_transactions`. */
function registerTransactionTools(
  server: McpServer,
  client: WaiaasClient,
  maxWaitSeconds: number,
): void {
  server.registerTool(
    'get_transaction',
    {
      title: 'Get a transaction',
      description:
        'One transaction: { transaction: { id, status, amount, asset, destination, signature, failureReason, ... } }.',
      inputSchema: { transactionId },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args: { transactionId: string }) =>
      toolResult(await client.getTransaction(args.transactionId)),
    ),
  );

  server.registerTool(
    'wait_for_transaction',
    {
      title: 'Wait for a transaction',
      description:
        'Waits until the transaction reaches one of `until` (default: a final status CONFIRMED, FAILED, REJECTED or EXPIRED) and returns { transaction }. ' +
        'An error WAIT_TIMEOUT (retryable: call again to keep waiting) when it has not within timeoutSeconds.',
      inputSchema: {
        transactionId,
        until: z
          .array(z.enum(TRANSACTION_STATUSES))
          .min(1)
          .optional()
          .describe('Statuses that end the wait.'),
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(maxWaitSeconds)
          .optional()
          .describe(`Give up after this many seconds (default 30, at most ${maxWaitSeconds}).`),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(
      async (args: {
        transactionId: string;
        until?: TransactionStatus[] | undefined;
        timeoutSeconds?: number | undefined;
      }) => {
        const transaction = await client.waitForTransaction(args.transactionId, {
          ...(args.until === undefined ? {} : { until: args.until }),
          timeoutMs: (args.timeoutSeconds ?? Math.min(30, maxWaitSeconds)) * 1000,
          intervalMs: 500,
        });
        return toolResult({ transaction });
      },
    ),
  );

  server.registerTool(
    'list_transactions',
    {
      title: 'Recent transactions',
      description:
        "A wallet's transactions, newest first: { transactions, nextCursor } (pass nextCursor as cursor for the next page).",
      inputSchema: {
        walletId,
        status: z.enum(TRANSACTION_STATUSES).optional().describe('Only this status.'),
        limit: z.number().int().min(1).max(100).optional().describe('Page size, default 20.'),
        cursor: z.string().optional().describe('nextCursor of the previous page.'),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(
      async (args: {
        walletId: string;
        status?: TransactionStatus | undefined;
        limit?: number | undefined;
        cursor?: string | undefined;
      }) =>
        toolResult({
          ...(await client.listTransactions(args.walletId, {
            limit: args.limit ?? 20,
            ...(args.status === undefined ? {} : { status: args.status }),
            ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
          })),
        }),
    ),
  );
}

interface TransferArgs {
  walletId: string;
  to: string;
  amount: string;
  mint?: string | undefined;
  memo?: string | undefined;
}
