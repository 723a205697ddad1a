/**
 * Told when a worker starts and stops holding rows (tracing, or a test that proves no row is
 * ever held by two workers). `claimed` runs after the row locks are taken; `released` runs
 * before they are given up (before commit or rollback), so the interval it reports lies
 * within the lock's lifetime.
 *
 * @example
 * ```ts
 * const observer: ClaimObserver = {
 *   claimed: (kind, ids) => tracer.start(kind, ids),
 *   released: (kind, ids) => tracer.end(kind, ids),
 * };
 * await ConfirmationWorker.create({ config, logger, observer });
 * ```
 */
export interface ClaimObserver {
  claimed(kind: 'submit' | 'confirm', ids: readonly string[]): void;
  released(kind: 'submit' | 'confirm', ids: readonly string[]): void;
}
