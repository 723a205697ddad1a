import {
  isWaiaasApiError,
  type Agent,
  type Policy,
  type PolicyInput,
  type PolicyMetadata,
  type TimeWindow,
  type Wallet,
} from '@waiaas/client';
import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { describeError } from '../api.js';
import { ConfirmDialog } from '../components/confirm.js';
import { SpendGauge } from '../components/gauge.js';
import { SpendChart } from '../components/spend-chart.js';
import { Timeline } from '../components/timeline.js';
import { useConsole } from '../context.js';
import { assetName, explorerLink, shortAddress } from '../format.js';
import { usePolling } from '../hooks.js';
import { StatusBadge } from './overview.js';

/** One wallet: balance, spend (today and 7 days), policy editor, grants, transactions. */
export function WalletPage(props: { id: string }) {
  const { client } = useConsole();
  // The editor is remounted with the saved policy when the reload its save triggers lands
  // (its key carries the version), which would wipe its own "Saved" line at once: the line
  // lives here, for the wallet it was saved on.
  const [saved, setSaved] = useState<{ walletId: string; text: string } | null>(null);
  const data = usePolling(
    async () => {
      const [{ wallet }, balance, { spend }, { agents }] = await Promise.all([
        client.getWallet(props.id),
        client.getBalance(props.id).then(
          (r) => r.balance,
          () => null,
        ),
        client.getWalletSpend(props.id, { days: 7 }),
        client.listAgents(),
      ]);
      // Asked only when there is one: a 404 would be a red line in the browser's console.
      const policy = spend.hasPolicy ? (await client.getPolicy(props.id)).policy : null;
      return { wallet, balance, spend, agents, policy };
    },
    [client, props.id],
    5000,
  );
  if (data.error !== undefined && data.data === undefined)
    return (
      <p class="error" role="alert">
        {describeError(data.error)}
      </p>
    );
  if (data.data === undefined) return <p class="muted">Loading…</p>;
  const { wallet, balance, spend, agents, policy } = data.data;
  const sol = spend.assets.find((a) => a.asset === null);

  return (
    <>
      <p>
        <Link href="/">← Overview</Link>
      </p>
      <h1>{wallet.label ?? 'Wallet'}</h1>
      <p class="mono wrap muted">{wallet.address}</p>
      <p class="balance">
        {balance === null ? (
          <span class="error">Balance unavailable</span>
        ) : (
          <>
            <strong>{balance.sol}</strong> SOL
          </>
        )}
      </p>

      <FreezeControl wallet={wallet} onChanged={() => void data.reload()} />

      <section aria-labelledby="spend-heading">
        <h2 id="spend-heading">Spend</h2>
        <div class="two-columns">
          <div>
            <h3>In the current window ({spend.window === 'UTC_DAY' ? 'UTC day' : 'last 24 h'})</h3>
            {spend.assets.map((a) => (
              <SpendGauge key={a.asset ?? 'SOL'} spend={a} />
            ))}
          </div>
          <SpendChart days={spend.days} dailyLimit={sol?.dailyLimit ?? null} />
        </div>
      </section>

      <PolicyEditor
        key={`${wallet.id}:${policy?.version ?? 0}`}
        walletId={wallet.id}
        policy={policy}
        saved={saved?.walletId === wallet.id ? saved.text : null}
        onSaved={(version) => {
          setSaved({ walletId: wallet.id, text: `Saved: policy version ${version}.` });
          void data.reload();
        }}
      />
      <Grants wallet={wallet} agents={agents} onChanged={() => void data.reload()} />
      <Transactions walletId={wallet.id} agents={agents} />
    </>
  );
}

type FieldErrors = Record<string, string[]>;

const FIELDS = [
  'perTxLimit',
  'dailyLimit',
  'requiresApproval',
  'metadata.approvalThreshold',
  'metadata.maxTxPerHour',
  'metadata.dailyWindow',
  'allowedAddresses',
  'allowedAssets',
] as const;

/** Maps a problem's `errors[].path` (`allowedAddresses[0]`, `metadata.maxTxPerHour`) to a field. */
function fieldOf(path: string): string {
  const base = path.replace(/\[\d+\]$/, '').replace(/\.\d+$/, '');
  return (FIELDS as readonly string[]).includes(base) ? base : '';
}

function lines(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** "MON, TUE 09:00–17:00; SAT 22:00–06:00 (Europe/Berlin time)". */
function describeTimeWindow(window: TimeWindow): string {
  const ranges = window.ranges.map((r) => `${r.days.join(', ')} ${r.from}–${r.to}`).join('; ');
  return `${ranges} (${window.timeZone} time)`;
}

function PolicyEditor(props: {
  walletId: string;
  policy: Policy | null;
  /** The confirmation of the last save on this wallet, shown until the next save starts. */
  saved: string | null;
  onSaved: (version: number) => void;
}) {
  const { client } = useConsole();
  const p = props.policy;
  const [form, setForm] = useState({
    perTxLimit: p?.perTxLimit ?? '',
    dailyLimit: p?.dailyLimit ?? '',
    requiresApproval: p?.requiresApproval ?? false,
    approvalThreshold: p?.metadata?.approvalThreshold ?? '',
    maxTxPerHour: p?.metadata?.maxTxPerHour?.toString() ?? '',
    dailyWindow: p?.metadata?.dailyWindow ?? 'ROLLING_24H',
    allowedAddresses: (p?.allowedAddresses ?? []).join('\n'),
    allowedAssets: (p?.allowedAssets ?? []).join('\n'),
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<string | null>(props.saved);
  const set = (name: keyof typeof form, value: string | boolean) =>
    setForm((f) => ({ ...f, [name]: value }));

  async function save(event: Event) {
    event.preventDefault();
    // Rules the form does not edit (token limits, programs, time window) are kept as they are.
    const metadata: PolicyMetadata = { ...(p?.metadata ?? {}) };
    delete metadata.approvalThreshold;
    delete metadata.maxTxPerHour;
    delete metadata.dailyWindow;
    if (form.approvalThreshold.trim() !== '')
      metadata.approvalThreshold = form.approvalThreshold.trim();
    if (form.maxTxPerHour.trim() !== '')
      metadata.maxTxPerHour = /^-?\d+$/.test(form.maxTxPerHour.trim())
        ? Number(form.maxTxPerHour.trim())
        : (form.maxTxPerHour.trim() as unknown as number); // the API says what is wrong with it
    if (form.dailyWindow !== 'ROLLING_24H') metadata.dailyWindow = form.dailyWindow;
    const input: PolicyInput = {
      perTxLimit: form.perTxLimit.trim(),
      dailyLimit: form.dailyLimit.trim(),
      requiresApproval: form.requiresApproval,
      allowedAddresses: lines(form.allowedAddresses),
      allowedAssets: lines(form.allowedAssets),
      metadata,
    };
    setStatus('Saving…');
    try {
      const { policy } = await client.setPolicy(props.walletId, input);
      setErrors({});
      setStatus(`Saved: policy version ${policy.version}.`);
      props.onSaved(policy.version);
    } catch (e) {
      const issues = isWaiaasApiError(e) ? (e.problem?.errors ?? []) : [];
      const next: FieldErrors = {};
      for (const issue of issues) (next[fieldOf(issue.path)] ??= []).push(issue.message);
      if (issues.length === 0) next[''] = [describeError(e)];
      setErrors(next);
      setStatus(null);
    }
  }

  const field = (name: string) => ({
    'aria-invalid': errors[name] !== undefined,
    'aria-describedby': errors[name] !== undefined ? `err-${name.replace('.', '-')}` : undefined,
  });
  const message = (name: string) =>
    errors[name] !== undefined && (
      <p id={`err-${name.replace('.', '-')}`} class="field-error" data-field={name}>
        {errors[name].join('; ')}
      </p>
    );

  return (
    <section aria-labelledby="policy-heading">
      <h2 id="policy-heading">
        Policy {p !== null && <span class="muted small">version {p.version}</span>}
      </h2>
      {p === null && (
        <p class="warn">No policy yet: this wallet cannot send anything until you set one.</p>
      )}
      <form class="policy-form" onSubmit={(e) => void save(e)} noValidate>
        <div class="grid">
          <label>
            Per-transfer limit (SOL)
            <input
              name="perTxLimit"
              inputMode="decimal"
              value={form.perTxLimit}
              onInput={(e) => set('perTxLimit', e.currentTarget.value)}
              {...field('perTxLimit')}
            />
            {message('perTxLimit')}
          </label>
          <label>
            Daily limit (SOL)
            <input
              name="dailyLimit"
              inputMode="decimal"
              value={form.dailyLimit}
              onInput={(e) => set('dailyLimit', e.currentTarget.value)}
              {...field('dailyLimit')}
            />
            {message('dailyLimit')}
          </label>
          <label>
            Daily window
            <select
              name="dailyWindow"
              value={form.dailyWindow}
              onChange={(e) => set('dailyWindow', e.currentTarget.value)}
              {...field('metadata.dailyWindow')}
            >
              <option value="ROLLING_24H">Rolling 24 h</option>
              <option value="UTC_DAY">UTC day</option>
            </select>
            {message('metadata.dailyWindow')}
          </label>
          <label>
            Max transfers per hour
            <input
              name="maxTxPerHour"
              inputMode="numeric"
              value={form.maxTxPerHour}
              placeholder="no limit"
              onInput={(e) => set('maxTxPerHour', e.currentTarget.value)}
              {...field('metadata.maxTxPerHour')}
            />
            {message('metadata.maxTxPerHour')}
          </label>
          <label class="check">
            <input
              name="requiresApproval"
              type="checkbox"
              checked={form.requiresApproval}
              onChange={(e) => set('requiresApproval', e.currentTarget.checked)}
              {...field('requiresApproval')}
            />
            Transfers need my approval
          </label>
          <label>
            …only above (SOL)
            <input
              name="approvalThreshold"
              inputMode="decimal"
              value={form.approvalThreshold}
              placeholder="every transfer"
              onInput={(e) => set('approvalThreshold', e.currentTarget.value)}
              {...field('metadata.approvalThreshold')}
            />
            {message('metadata.approvalThreshold')}
          </label>
          <label>
            Allowed recipients (one per line; empty: any)
            <textarea
              name="allowedAddresses"
              rows={3}
              value={form.allowedAddresses}
              onInput={(e) => set('allowedAddresses', e.currentTarget.value)}
              {...field('allowedAddresses')}
            />
            {message('allowedAddresses')}
          </label>
          <label>
            Allowed token mints (one per line; empty: SOL only)
            <textarea
              name="allowedAssets"
              rows={3}
              value={form.allowedAssets}
              onInput={(e) => set('allowedAssets', e.currentTarget.value)}
              {...field('allowedAssets')}
            />
            {message('allowedAssets')}
          </label>
        </div>
        {p?.metadata?.timeWindow !== undefined && (
          <p class="muted" data-testid="time-window">
            Transfers only {describeTimeWindow(p.metadata.timeWindow)} (set through the API; kept
            when you save).
          </p>
        )}
        {errors[''] !== undefined && (
          <p class="error" role="alert">
            {errors[''].join('; ')}
          </p>
        )}
        {Object.keys(errors).length > 0 && (
          <p class="error" role="alert" data-testid="policy-errors">
            The policy was not saved: fix the fields marked above.
          </p>
        )}
        <div class="actions">
          <button type="submit">Save policy</button>
          <span role="status">{status}</span>
        </div>
      </form>
    </section>
  );
}

function Grants(props: { wallet: Wallet; agents: Agent[]; onChanged: () => void }) {
  const { client } = useConsole();
  const [error, setError] = useState<string | null>(null);
  const granted = new Set(props.wallet.agentIds ?? []);
  async function toggle(agent: Agent, grant: boolean) {
    try {
      if (grant) await client.grantAgent(props.wallet.id, agent.id);
      else await client.revokeAgent(props.wallet.id, agent.id);
      setError(null);
      props.onChanged();
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <section aria-labelledby="grants-heading">
      <h2 id="grants-heading">Agents with access</h2>
      {props.agents.length === 0 && (
        <p class="muted">
          No agents yet. <Link href="/agents">Create one</Link>.
        </p>
      )}
      <ul class="grants">
        {props.agents.map((agent) => (
          <li key={agent.id}>
            <label class="check">
              <input
                type="checkbox"
                checked={granted.has(agent.id)}
                disabled={agent.status === 'REVOKED'}
                onChange={(e) => void toggle(agent, e.currentTarget.checked)}
              />
              {agent.name}
            </label>{' '}
            <StatusBadge status={agent.status} />
          </li>
        ))}
      </ul>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Transactions(props: { walletId: string; agents: Agent[] }) {
  const { client, settings } = useConsole();
  const names = new Map(props.agents.map((a) => [a.id, a.name]));
  const data = usePolling(
    () => client.listTransactions(props.walletId, { limit: 20 }),
    [client, props.walletId],
    2000,
  );
  return (
    <section aria-labelledby="tx-heading">
      <h2 id="tx-heading">Transactions</h2>
      {data.error !== undefined && (
        <p class="error" role="alert">
          {describeError(data.error)}
        </p>
      )}
      {data.data?.transactions.length === 0 && <p class="muted">No transactions yet.</p>}
      <ul class="tx-list">
        {data.data?.transactions.map((tx) => {
          const link =
            tx.signature === null ? null : explorerLink(settings.explorerTxUrl, tx.signature);
          return (
            <li
              key={tx.id}
              class="card"
              data-testid="transaction"
              data-transaction-id={tx.id}
              data-status={tx.status}
            >
              <div class="approval-head">
                <strong>
                  {tx.amount} {assetName(tx.asset)}
                </strong>
                <StatusBadge
                  status={
                    tx.status === 'FAILED' && tx.failureReason === 'EXPIRED' ? 'EXPIRED' : tx.status
                  }
                />
              </div>
              <p class="small">
                to{' '}
                <span class="mono" title={tx.destination}>
                  {shortAddress(tx.destination)}
                </span>
                {tx.agentId !== null && <> · by {names.get(tx.agentId) ?? 'an agent'}</>}
              </p>
              <Timeline tx={tx} />
              {tx.signature !== null && (
                <p class="small mono wrap">
                  {link === null ? (
                    tx.signature
                  ) : (
                    <a
                      href={link}
                      target="_blank"
                      rel="noopener noreferrer"
                      data-testid="explorer-link"
                    >
                      {shortAddress(tx.signature)} ↗ explorer ({settings.cluster})
                    </a>
                  )}
                </p>
              )}
              {tx.error !== null && <p class="error small">{tx.error}</p>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * The wallet's kill switch: freezing refuses every new transfer from it and cancels its waiting
 * and unsent ones (never broadcast); unfreezing revives nothing. Confirmed in a dialog.
 */
function FreezeControl(props: { wallet: Wallet; onChanged: () => void }) {
  const { client } = useConsole();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const frozen = props.wallet.frozen;

  async function toggle() {
    setBusy(true);
    try {
      const { freeze } = frozen
        ? await client.unfreezeWallet(props.wallet.id)
        : await client.freezeWallet(props.wallet.id);
      const cancelled = freeze.cancelledTransactionIds.length;
      setMessage(
        freeze.frozen
          ? `Frozen. ${cancelled} waiting or unsent transfer${cancelled === 1 ? '' : 's'} cancelled.`
          : 'Unfrozen. Cancelled transfers stay cancelled.',
      );
      props.onChanged();
    } catch (e) {
      setMessage(describeError(e));
    } finally {
      setBusy(false);
      setAsking(false);
    }
  }

  return (
    <section aria-labelledby="freeze-heading">
      <h2 id="freeze-heading">Kill switch</h2>
      <p>
        {frozen ? (
          <strong class="error">
            Frozen since {new Date(props.wallet.frozenAt ?? '').toLocaleString()}: no transfer
            leaves this wallet.
          </strong>
        ) : (
          <span class="muted">Not frozen.</span>
        )}{' '}
        <button
          type="button"
          class={frozen ? 'secondary' : 'danger'}
          onClick={() => setAsking(true)}
        >
          {frozen ? 'Unfreeze wallet' : 'Freeze wallet'}
        </button>
      </p>
      {message !== null && <p role="status">{message}</p>}
      {asking && (
        <ConfirmDialog
          title={frozen ? 'Unfreeze this wallet?' : 'Freeze this wallet?'}
          confirmLabel={frozen ? 'Unfreeze' : 'Freeze'}
          danger={!frozen}
          busy={busy}
          onCancel={() => setAsking(false)}
          onConfirm={() => void toggle()}
        >
          <p>
            {frozen
              ? 'Agents may send from it again within its policy. Transfers the freeze cancelled stay cancelled.'
              : 'New transfers are refused at once. Transfers waiting for approval or not yet sent are cancelled; ones already sent are followed to their end.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
