import type { Transaction } from '@waiaas/client';
import { dateTime } from '../format.js';
import { steps } from '../timeline-steps.js';

export function Timeline(props: { tx: Transaction }) {
  return (
    <ol class="timeline" aria-label="Status">
      {steps(props.tx).map((step) => (
        <li
          key={step.label}
          class={step.state}
          aria-current={step.state === 'current' ? 'step' : undefined}
        >
          <span class="step-label">{step.label}</span>
          {step.at !== null && <time dateTime={step.at}>{dateTime(step.at)}</time>}
        </li>
      ))}
    </ol>
  );
}
