import { isWaiaasApiError } from '@waiaas/client';
import { useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { ShownOnce } from '../components/secret.js';
import { useConsole } from '../context.js';
import { dateTime } from '../format.js';
import { usePolling } from '../hooks.js';
import { StatusBadge } from './overview.js';

/** The owner's webhook: URL, signing secret (shown once), recent deliveries. */
export function WebhookPage() {
  const { client } = useConsole();
  const data = usePolling(() => client.listWebhookDeliveries({ limit: 20 }), [client], 5000);
  const [url, setUrl] = useState<string | null>(null);
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const [rotate, setRotate] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = data.data?.webhook ?? null;
  const shownUrl = url ?? current?.url ?? '';
  const shownEnabled = enabled ?? current?.enabled ?? true;

  async function save(event: Event) {
    event.preventDefault();
    try {
      const result = await client.setWebhook({
        url: shownUrl.trim(),
        enabled: shownEnabled,
        rotateSecret: rotate,
      });
      setSecret(result.signingSecret ?? null);
      setError(null);
      setRotate(false);
      setUrl(null);
      setEnabled(null);
      setSaved(`Saved ${result.webhook.url}.`);
      void data.reload();
    } catch (e) {
      const issues = isWaiaasApiError(e) ? (e.problem?.errors ?? []) : [];
      setError(issues.length > 0 ? issues.map((i) => i.message).join('; ') : describeError(e));
      setSaved(null);
    }
  }

  return (
    <>
      <h1>Webhook</h1>
      <p class="muted">
        Signed (HMAC-SHA256) notifications of every transfer's progress, sent to your URL.
      </p>
      <form class="policy-form" onSubmit={(e) => void save(e)} noValidate>
        <label>
          URL
          <input
            name="url"
            type="url"
            required
            value={shownUrl}
            placeholder="https://example.com/hooks/waiaas"
            onInput={(e) => setUrl(e.currentTarget.value)}
            aria-invalid={error !== null}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={shownEnabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
          />
          Enabled
        </label>
        {current !== null && (
          <label class="check">
            <input
              type="checkbox"
              checked={rotate}
              onChange={(e) => setRotate(e.currentTarget.checked)}
            />
            Generate a new signing secret
          </label>
        )}
        {error !== null && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="submit">Save webhook</button>
          <span role="status">{saved}</span>
        </div>
      </form>
      {secret !== null && (
        <ShownOnce label="Signing secret" value={secret} onDismiss={() => setSecret(null)} />
      )}

      <h2>Recent deliveries</h2>
      {data.error !== undefined && (
        <p class="error" role="alert">
          {describeError(data.error)}
        </p>
      )}
      {data.data?.deliveries.length === 0 && <p class="muted">No deliveries yet.</p>}
      {data.data !== undefined && data.data.deliveries.length > 0 && (
        <div class="table-scroll">
          <table class="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {data.data.deliveries.map((d) => (
                <tr key={d.id} data-testid="delivery">
                  <td>{d.eventType}</td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                  <td>{dateTime(d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
