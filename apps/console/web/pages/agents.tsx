import type { Agent, AgentKey, AgentKeyScope, AgentStatus } from '@waiaas/client';
import { useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { ConfirmDialog } from '../components/confirm.js';
import { ShownOnce } from '../components/secret.js';
import { useConsole } from '../context.js';
import { dateTime } from '../format.js';
import { usePolling } from '../hooks.js';
import { StatusBadge } from './overview.js';

type Pending =
  { kind: 'status'; agent: Agent; status: AgentStatus } | { kind: 'rotate'; agent: Agent };

/** Create agents (key shown once), suspend/reactivate, revoke, rotate keys. */
export function Agents() {
  const { client } = useConsole();
  const data = usePolling(() => client.listAgents(), [client], 5000);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  async function create(event: Event) {
    event.preventDefault();
    try {
      const { agent, apiKey } = await client.createAgent({ name: name.trim() });
      setName('');
      setSecret({ label: `API key of ${agent.name}`, value: apiKey });
      setMessage(null);
      void data.reload();
    } catch (e) {
      setMessage({ text: describeError(e), error: true });
    }
  }

  async function run(action: Pending) {
    setPending(null);
    try {
      if (action.kind === 'rotate') {
        const { agent, apiKey } = await client.rotateAgentKey(action.agent.id);
        setSecret({ label: `New API key of ${agent.name}`, value: apiKey });
        setMessage({
          text: `${agent.name}: new key issued; the old one no longer works.`,
          error: false,
        });
      } else {
        const { agent } = await client.updateAgent(action.agent.id, { status: action.status });
        setMessage({ text: `${agent.name} is now ${agent.status}.`, error: false });
      }
    } catch (e) {
      setMessage({ text: describeError(e), error: true });
    }
    void data.reload();
  }

  return (
    <>
      <h1>Agents</h1>
      <form class="inline-form" onSubmit={(e) => void create(e)}>
        <label for="agent-name">New agent name</label>
        <input
          id="agent-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit">Create agent</button>
      </form>
      {secret !== null && (
        <ShownOnce label={secret.label} value={secret.value} onDismiss={() => setSecret(null)} />
      )}
      {message !== null && (
        <p role="status" class={message.error ? 'error' : 'ok'}>
          {message.text}
        </p>
      )}
      {data.error !== undefined && (
        <p class="error" role="alert">
          {describeError(data.error)}
        </p>
      )}
      <ul class="agents">
        {data.data?.agents.map((agent) => (
          <li key={agent.id} class="card" data-testid="agent" data-agent-name={agent.name}>
            <div class="approval-head">
              <strong>{agent.name}</strong>
              <StatusBadge status={agent.status} />
            </div>
            <p class="muted small">Created {dateTime(agent.createdAt)}</p>
            {agent.status !== 'REVOKED' && <AgentKeys agent={agent} onSecret={setSecret} />}
            {agent.status !== 'REVOKED' && (
              <div class="actions">
                {agent.status === 'ACTIVE' ? (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => void run({ kind: 'status', agent, status: 'SUSPENDED' })}
                  >
                    Suspend
                  </button>
                ) : (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => void run({ kind: 'status', agent, status: 'ACTIVE' })}
                  >
                    Reactivate
                  </button>
                )}
                <button
                  type="button"
                  class="secondary"
                  onClick={() => setPending({ kind: 'rotate', agent })}
                >
                  Rotate key
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => setPending({ kind: 'status', agent, status: 'REVOKED' })}
                >
                  Revoke
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {pending !== null && (
        <ConfirmDialog
          title={
            pending.kind === 'rotate'
              ? `Rotate the key of ${pending.agent.name}?`
              : `Revoke ${pending.agent.name}?`
          }
          confirmLabel={pending.kind === 'rotate' ? 'Rotate key' : 'Revoke agent'}
          danger
          onCancel={() => setPending(null)}
          onConfirm={() => void run(pending)}
        >
          <p>
            {pending.kind === 'rotate'
              ? 'The current key stops working at once; the new one is shown once.'
              : 'The agent is refused from its next request on. Revoking is final.'}
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

const SCOPES: readonly AgentKeyScope[] = ['read', 'evaluate', 'transfer'];
const DAY_MS = 86_400_000;

/** An agent's keys: list (no secrets), create a scoped, expiring one (shown once), revoke. */
function AgentKeys(props: {
  agent: Agent;
  onSecret: (secret: { label: string; value: string }) => void;
}) {
  const { client } = useConsole();
  const id = props.agent.id;
  const [keys, setKeys] = useState<AgentKey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<AgentKeyScope[]>(['read']);
  const [days, setDays] = useState('30');
  const [revoking, setRevoking] = useState<AgentKey | null>(null);

  async function load() {
    try {
      setKeys((await client.listAgentKeys(id)).keys);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }

  async function create(event: Event) {
    event.preventDefault();
    try {
      const { key, apiKey } = await client.createAgentKey(id, {
        name: name.trim(),
        scopes,
        expiresAt: new Date(Date.now() + Number(days) * DAY_MS).toISOString(),
      });
      setName('');
      props.onSecret({ label: `Key ${key.name} of ${props.agent.name}`, value: apiKey });
      await load();
    } catch (e) {
      setError(describeError(e));
    }
  }

  async function revoke(key: AgentKey) {
    setRevoking(null);
    try {
      await client.revokeAgentKey(id, key.id);
      await load();
    } catch (e) {
      setError(describeError(e));
    }
  }

  function toggle(scope: AgentKeyScope, on: boolean) {
    setScopes((current) => SCOPES.filter((s) => (s === scope ? on : current.includes(s))));
  }

  return (
    <details
      class="agent-keys"
      onToggle={(e) => {
        if (e.currentTarget.open) void load();
      }}
    >
      <summary>Keys</summary>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="agent-list">
        {keys?.map((key) => (
          <li key={key.id} data-testid="agent-key" data-key-name={key.name}>
            <div class="approval-head">
              <strong>{key.primary ? `${key.name} (primary)` : key.name}</strong>
              <StatusBadge status={key.status} />
            </div>
            <p class="muted small">
              {key.scopes.join(', ')} ·{' '}
              {key.walletIds === null
                ? 'every granted wallet'
                : `${key.walletIds.length} wallet(s)`}{' '}
              · {key.expiresAt === null ? 'no expiry' : `expires ${dateTime(key.expiresAt)}`} ·{' '}
              {key.lastUsedAt === null ? 'never used' : `last used ${dateTime(key.lastUsedAt)}`}
            </p>
            {key.status !== 'REVOKED' && (
              <button type="button" class="danger" onClick={() => setRevoking(key)}>
                Revoke key
              </button>
            )}
          </li>
        ))}
      </ul>
      <form class="key-form" onSubmit={(e) => void create(e)}>
        <label for={`key-name-${id}`}>Key name</label>
        <input
          id={`key-name-${id}`}
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} class="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => toggle(scope, e.currentTarget.checked)}
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <label for={`key-days-${id}`}>Expires in (days)</label>
        <input
          id={`key-days-${id}`}
          type="number"
          required
          min={1}
          max={365}
          value={days}
          onInput={(e) => setDays(e.currentTarget.value)}
        />
        <button type="submit" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
      {revoking !== null && (
        <ConfirmDialog
          title={`Revoke the key ${revoking.name}?`}
          confirmLabel="Revoke key"
          danger
          onCancel={() => setRevoking(null)}
          onConfirm={() => void revoke(revoking)}
        >
          <p>The key is refused from its next request on. Revoking is final.</p>
        </ConfirmDialog>
      )}
    </details>
  );
}
