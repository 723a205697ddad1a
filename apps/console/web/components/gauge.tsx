import type { AssetSpend } from '@waiaas/client';
import { assetName, percentOf, toBaseUnits } from '../format.js';

/** Spent against the daily limit, as a bar with its figures (a meter for assistive tech). */
export function SpendGauge(props: { spend: AssetSpend }) {
  const { spend } = props;
  const limit = spend.dailyLimit === null ? null : toBaseUnits(spend.dailyLimit, spend.decimals);
  const percent = limit === null ? null : percentOf(BigInt(spend.spentBaseUnits), limit);
  const name = assetName(spend.asset);
  const label =
    spend.dailyLimit === null
      ? `${name}: ${spend.spent} today, no daily limit`
      : `${name}: ${spend.spent} of ${spend.dailyLimit} today`;
  return (
    <div class="gauge" data-asset={spend.asset ?? 'SOL'}>
      <div class="gauge-label">
        <span>{name}</span>
        <span>
          {spend.spent}
          {spend.dailyLimit !== null && <> / {spend.dailyLimit}</>}
        </span>
      </div>
      {percent !== null && (
        <div
          class={`gauge-track${percent >= 100 ? ' full' : percent >= 80 ? ' high' : ''}`}
          role="meter"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.min(percent, 100)}
          aria-valuetext={`${percent}%`}
        >
          <div class="gauge-fill" style={{ width: `${Math.min(percent, 100)}%` }} />
        </div>
      )}
    </div>
  );
}
