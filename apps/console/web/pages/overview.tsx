import type { Agent, Balance, Wallet, WalletSpend } from '@waiaas/client';
import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { describeError } from '../api.js';
import { SpendGauge } from '../components/gauge.js';
import { useConsole } from '../context.js';
import { shortAddress } from '../format.js';
import { usePolling } from '../hooks.js';

interface WalletView {
  wallet: Wallet;
  balance: Balance | null;
  balanceError: string | null;
  spend: WalletSpend;
}

/** Every wallet with its balance and today's spend against its limits; agents; pending approvals. */
export function Overview(props: { pendingApprovals: number | undefined }) {
  const { client } = useConsole();
  const data = usePolling(
    async () => {
      const [{ wallets }, { agents }] = await Promise.all([
        client.listWallets(),
        client.listAgents(),
      ]);
      const views = await Promise.all(
        wallets.map(async (wallet): Promise<WalletView> => {
          const [balance, spend] = await Promise.all([
            client.getBalance(wallet.id).then(
              (r) => ({ balance: r.balance, balanceError: null }),
              (e: unknown) => ({ balance: null, balanceError: describeError(e) }),
            ),
            client.getWalletSpend(wallet.id, { days: 1 }),
          ]);
          return { wallet, ...balance, spend: spend.spend };
        }),
      );
      return { views, agents };
    },
    [client],
    5000,
  );

  return (
    <>
      <h1>Overview</h1>
      {data.error !== undefined && (
        <p class="error" role="alert">
          {describeError(data.error)}
        </p>
      )}
      <section class="stats" aria-label="Summary">
        <Link href="/approvals" class="stat">
          <span class="stat-value" data-testid="pending-count">
            {props.pendingApprovals ?? '…'}
          </span>
          <span class="stat-label">awaiting approval</span>
        </Link>
        <div class="stat">
          <span class="stat-value">{data.data?.views.length ?? '…'}</span>
          <span class="stat-label">wallets</span>
        </div>
        <Link href="/agents" class="stat">
          <span class="stat-value">
            {data.data?.agents.filter((a) => a.status === 'ACTIVE').length ?? '…'}
          </span>
          <span class="stat-label">active agents</span>
        </Link>
      </section>

      <h2>Wallets</h2>
      {data.loading && data.data === undefined && <p class="muted">Loading…</p>}
      {data.data?.views.length === 0 && <CreateWallet onCreated={() => void data.reload()} />}
      <div class="cards">
        {data.data?.views.map((view) => (
          <WalletCard key={view.wallet.id} view={view} agents={data.data?.agents ?? []} />
        ))}
      </div>
      {data.data !== undefined && data.data.views.length > 0 && (
        <CreateWallet onCreated={() => void data.reload()} />
      )}

      <h2>Agents</h2>
      <ul class="agent-list">
        {data.data?.agents.map((agent) => (
          <li key={agent.id}>
            <span>{agent.name}</span> <StatusBadge status={agent.status} />
          </li>
        ))}
        {data.data?.agents.length === 0 && <li class="muted">No agents yet.</li>}
      </ul>
    </>
  );
}

function WalletCard(props: { view: WalletView; agents: Agent[] }) {
  const { wallet, balance, balanceError, spend } = props.view;
  const granted = props.agents.filter((a) => wallet.agentIds?.includes(a.id));
  return (
    <article class="card" aria-labelledby={`wallet-${wallet.id}`} data-testid="wallet-card">
      <h3 id={`wallet-${wallet.id}`}>
        <Link href={`/wallets/${wallet.id}`}>{wallet.label ?? 'Wallet'}</Link>
      </h3>
      <p class="mono muted" title={wallet.address}>
        {shortAddress(wallet.address)}
      </p>
      <p class="balance">
        {balance === null ? (
          <span class="error">{balanceError}</span>
        ) : (
          <>
            <strong data-testid="balance">{balance.sol}</strong> SOL
            {balance.tokens.map((t) => (
              <span key={t.account} class="token">
                {' '}
                · {t.uiAmount} {shortAddress(t.mint)}
              </span>
            ))}
          </>
        )}
      </p>
      <h4>Spent today</h4>
      {!spend.hasPolicy && <p class="warn">No policy: this wallet cannot send anything.</p>}
      {spend.assets.map((asset) => (
        <SpendGauge key={asset.asset ?? 'SOL'} spend={asset} />
      ))}
      <p class="muted small">
        {granted.length === 0
          ? 'No agent has access.'
          : `Agents: ${granted.map((a) => a.name).join(', ')}`}
      </p>
    </article>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`status status-${props.status.toLowerCase()}`}>{props.status}</span>;
}

function CreateWallet(props: { onCreated: () => void }) {
  const { client } = useConsole();
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    try {
      await client.createWallet(label.trim() === '' ? {} : { label: label.trim() });
      setLabel('');
      setError(null);
      props.onCreated();
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <form class="inline-form" onSubmit={(e) => void submit(e)}>
      <label for="new-wallet">New wallet label</label>
      <input
        id="new-wallet"
        value={label}
        maxLength={200}
        onInput={(e) => setLabel(e.currentTarget.value)}
      />
      <button type="submit">Create wallet</button>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
