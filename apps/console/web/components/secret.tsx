import { useState } from 'preact/hooks';

/** A secret shown once, with a copy button; the page forgets it when dismissed. */
export function ShownOnce(props: { label: string; value: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('yes');
    } catch {
      // No clipboard (e.g. plain http on another host): the text is selectable instead.
      setCopied('failed');
    }
  }
  return (
    <section class="secret" aria-label={props.label}>
      <p>
        <strong>{props.label}</strong>: shown once. Copy it now; it cannot be shown again.
      </p>
      <code class="secret-value" data-testid="secret-value">
        {props.value}
      </code>
      <div class="actions">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" class="secondary" onClick={props.onDismiss}>
          Done
        </button>
        <span role="status">
          {copied === 'yes'
            ? 'Copied.'
            : copied === 'failed'
              ? 'Copy failed: select the text.'
              : ''}
        </span>
      </div>
    </section>
  );
}
