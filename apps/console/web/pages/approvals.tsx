import type { Transaction } from '@waiaas/client';
import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { ConfirmDialog } from '../components/confirm.js';
import { useConsole } from '../context.js';
import { age, assetName, dateTime } from '../format.js';
import { usePolling } from '../hooks.js';

type Decision = { tx: Transaction; action: 'approve' | 'reject' };

/** Every transfer awaiting the owner, newest first; refreshed every 3 s without a reload. */
export function Approvals() {
  const { client, refreshApprovals } = useConsole();
  const data = usePolling(
    async () => {
      const [page, agents, wallets] = await Promise.all([
        client.listOwnerTransactions({ status: 'AWAITING_APPROVAL', limit: 100 }),
        client.listAgents(),
        client.listWallets(),
      ]);
      return {
        transactions: page.transactions,
        agents: new Map(agents.agents.map((a) => [a.id, a.name])),
        wallets: new Map(wallets.wallets.map((w) => [w.id, w.label ?? w.address])),
      };
    },
    [client],
    3000,
  );
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; error: boolean } | null>(null);

  async function decide(decision: Decision) {
    setBusy(true);
    try {
      const { transaction } =
        decision.action === 'approve'
          ? await client.approveTransaction(decision.tx.id)
          : await client.rejectTransaction(decision.tx.id);
      setOutcome({
        text: `${decision.action === 'approve' ? 'Approved' : 'Rejected'}: ${decision.tx.amount} ${assetName(decision.tx.asset)} to ${decision.tx.destination} is now ${transaction.status}.`,
        error: false,
      });
    } catch (e) {
      setOutcome({ text: describeError(e), error: true });
    } finally {
      setBusy(false);
      setDeciding(null);
      refreshApprovals();
      void data.reload();
    }
  }

  const list = data.data?.transactions ?? [];
  return (
    <>
      <h1>Approvals</h1>
      <p class="muted">Transfers your policies sent to you. The list updates by itself.</p>
      {outcome !== null && (
        <p role="status" class={outcome.error ? 'error' : 'ok'}>
          {outcome.text}
        </p>
      )}
      {data.error !== undefined && (
        <p class="error" role="alert">
          {describeError(data.error)}
        </p>
      )}
      {data.data !== undefined && list.length === 0 && (
        <p data-testid="inbox-empty">Nothing awaits your approval.</p>
      )}
      <ul class="inbox" aria-label="Awaiting approval">
        {list.map((tx) => (
          <li key={tx.id} class="card" data-testid="approval" data-transaction-id={tx.id}>
            <div class="approval-head">
              <strong class="amount">
                {tx.amount} {assetName(tx.asset)}
              </strong>
              <span class="muted">
                <time dateTime={tx.createdAt}>{age(tx.createdAt, now)}</time> ago
              </span>
            </div>
            <dl class="facts">
              <dt>To</dt>
              <dd class="mono wrap">{tx.destination}</dd>
              <dt>Agent</dt>
              <dd>
                {tx.agentId === null ? '—' : (data.data?.agents.get(tx.agentId) ?? tx.agentId)}
              </dd>
              <dt>Wallet</dt>
              <dd>{data.data?.wallets.get(tx.walletId) ?? tx.walletId}</dd>
              {tx.expiresAt !== null && (
                <>
                  <dt>Expires</dt>
                  <dd data-testid="expires">
                    <time dateTime={tx.expiresAt}>{dateTime(tx.expiresAt)}</time>
                    {Date.parse(tx.expiresAt) > now ? (
                      <span class="muted">
                        {' '}
                        (in {age(new Date(now).toISOString(), Date.parse(tx.expiresAt))})
                      </span>
                    ) : (
                      <span class="muted"> (expired: no longer counts against the limits)</span>
                    )}
                  </dd>
                </>
              )}
              {tx.memo !== null && (
                <>
                  <dt>Memo</dt>
                  <dd>{tx.memo}</dd>
                </>
              )}
              <dt>Why</dt>
              <dd>
                <ul class="reasons">
                  {tx.policy.reasons.map((r, i) => (
                    <li key={i}>
                      <code>{r.code}</code>
                      {typeof r.message === 'string' && <> {r.message}</>}
                    </li>
                  ))}
                </ul>
              </dd>
            </dl>
            <div class="actions">
              <button type="button" onClick={() => setDeciding({ tx, action: 'approve' })}>
                Approve
              </button>
              <button
                type="button"
                class="danger"
                onClick={() => setDeciding({ tx, action: 'reject' })}
              >
                Reject
              </button>
            </div>
          </li>
        ))}
      </ul>
      {deciding !== null && (
        <ConfirmDialog
          title={deciding.action === 'approve' ? 'Approve this transfer?' : 'Reject this transfer?'}
          confirmLabel={deciding.action === 'approve' ? 'Approve transfer' : 'Reject transfer'}
          danger={deciding.action === 'reject'}
          busy={busy}
          onCancel={() => setDeciding(null)}
          onConfirm={() => void decide(deciding)}
        >
          <p>
            {deciding.tx.amount} {assetName(deciding.tx.asset)} to{' '}
            <span class="mono wrap">{deciding.tx.destination}</span>
          </p>
          <p class="muted">
            {deciding.action === 'approve'
              ? 'The policy is checked again now; if it still allows the transfer, it is signed and sent.'
              : 'The transfer will not be sent and stops counting against the daily limit.'}
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
