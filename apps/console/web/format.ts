/** Display helpers. Amounts stay decimal strings; bigints only where a ratio is needed. */

/** Base units of a UI decimal string (`"0.25"`, 9 → 250000000n); null when malformed. */
export function toBaseUnits(ui: string, decimals: number): bigint | null {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(ui);
  if (match === null) return null;
  const fraction = (match[2] ?? '').padEnd(decimals, '0');
  if (fraction.length > decimals) return null;
  return (
    BigInt(match[1] ?? '0') * 10n ** BigInt(decimals) + BigInt(fraction === '' ? '0' : fraction)
  );
}

/** spent / limit as a percentage with one decimal (a display figure, not an amount). */
export function percentOf(spent: bigint, limit: bigint): number {
  if (limit <= 0n) return spent > 0n ? 100 : 0;
  return Number((spent * 1000n) / limit) / 10;
}

export function shortAddress(address: string): string {
  return address.length <= 12 ? address : `${address.slice(0, 4)}…${address.slice(-4)}`;
}

export function assetName(asset: string | null): string {
  return asset === null ? 'SOL' : shortAddress(asset);
}

/** "12 s", "5 min", "3 h", "2 d" since `iso`, as of `now`. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

export function dateTime(iso: string | null): string {
  return iso === null ? '' : new Date(iso).toLocaleString();
}

export function explorerLink(template: string | null, signature: string): string | null {
  return template === null ? null : template.replace('{signature}', signature);
}
