import { type Logger } from 'pino';
import {
  type ClaimedTransaction,
  type ClaimUnit,
  type ConfirmedUpdate,
  type FailedUpdate,
  type WorkerRepository,
} from '@waiaas/database';
import type { BalanceInvalidator } from './balance-invalidator.js';
import type { Chain } from './chain.js';
import type { ClaimObserver } from './claim-observer.js';
import { classify } from './classify.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * @example
 * ```ts
 * const options: ConfirmerOptions = { batchSize: 256, commitment: 'confirmed', rebroadcastIntervalMs: 2_000 };
 * ```
 */
export interface ConfirmerOptions {
  /** Rows per claim (getSignatureStatuses takes at most 256 signatures). */
  batchSize: number;
  commitment: 'confirmed' | 'finalized';
  rebroadcastIntervalMs: number;
}

/**
 * What a {@link Confirmer} works with, given explicitly.
 *
 * @example
 * ```ts
 * const deps: ConfirmerDeps = { repository, chain, metrics, logger, balances: new BalanceInvalidator(cache, repository, logger) };
 * ```
 */
export interface ConfirmerDeps {
  repository: WorkerRepository;
  chain: Chain;
  metrics: WorkerMetrics;
  logger: Logger;
  balances: BalanceInvalidator;
  observer?: ClaimObserver;
  onOutbox?: () => void;
}

/**
 * What one pass over the SUBMITTED transactions did.
 *
 * @example
 * ```ts
 * const pass: ConfirmPass = await confirmer.runOnce();
 * logger.info(pass, 'confirm_pass');
 * ```
 */
export interface ConfirmPass {
  checked: number;
  confirmed: number;
  failed: number;
  expired: number;
  rebroadcast: number;
}

interface PageResult {
  confirmed: number;
  failed: number;
  expired: number;
  rebroadcast: number;
  deliveries: number;
  landed: { walletAddress: string; destination: string }[];
}

/**
 * SUBMITTED → CONFIRMED / FAILED, and the rebroadcast loop. Walks every SUBMITTED row in pages
 * of `batchSize` (claimed with SKIP LOCKED, so replicas split the work) and, per page:
 *
 * 1. reads the signature statuses **after the finalized block height** (read once per pass,
 *    before its first page): a signature absent after a height past its
 *    `lastValidBlockHeight` was read can never land (reading them the other way round, it
 *    could land in between);
 * 2. statuses use `searchTransactionHistory: true` for rows this process has not checked yet
 *    (after a restart, or rows another replica sent) and before declaring anything EXPIRED;
 * 3. confirms at the configured commitment with slot and fee (`getTransaction`), fails landed
 *    errors as ON_CHAIN_ERROR, expires the unseen past their height (EXPIRED releases the
 *    spend: accounting excludes FAILED), and sends the same bytes again to the unseen still
 *    valid ones whose last send is older than `rebroadcastIntervalMs`.
 *
 * Re-signing an expired transfer under a fresh blockhash is deliberately not done here: it
 * needs custody and a new policy decision (the API's domain); the owner or agent retries.
 *
 * @example
 * ```ts
 * const confirmer = new Confirmer(deps, { batchSize: 256, commitment: 'confirmed', rebroadcastIntervalMs: 2_000 });
 * const pass = await confirmer.runOnce();
 * ```
 */
export class Confirmer {
  /** Rows whose status this process has already looked up (no history search needed). */
  private readonly seen = new Set<string>();

  constructor(
    private readonly deps: ConfirmerDeps,
    private readonly options: ConfirmerOptions,
  ) {}

  /** One pass over every SUBMITTED row not held by another worker. */
  async runOnce(shouldContinue: () => boolean = () => true): Promise<ConfirmPass> {
    const pass: ConfirmPass = { checked: 0, confirmed: 0, failed: 0, expired: 0, rebroadcast: 0 };
    // Read once per pass, before the first page's statuses (so before every page's): an absence
    // is only trusted from a search made after the height was read, and an older height only
    // makes expiry later, never wrong. Per page, it was a second RPC each page waited for
    // behind the submit loops' sends. Not read at all by a pass that finds nothing to check.
    let height: Promise<bigint> | undefined;
    const finalizedHeight = () => (height ??= this.deps.chain.blockHeight('finalized'));
    let afterId: string | null = null;
    while (shouldContinue()) {
      const page: { lastId: string; count: number; result: PageResult } | undefined =
        await this.deps.repository.withClaimedSubmitted(
          { limit: this.options.batchSize, afterId },
          async (rows, unit) => this.processPage(rows, unit, await finalizedHeight()),
        );
      if (page === undefined) break;
      const r = page.result;
      pass.checked += page.count;
      pass.confirmed += r.confirmed;
      pass.failed += r.failed;
      pass.expired += r.expired;
      pass.rebroadcast += r.rebroadcast;
      await this.afterCommit(r);
      if (page.count < this.options.batchSize) break;
      afterId = page.lastId;
    }
    return pass;
  }

  private async afterCommit(r: PageResult): Promise<void> {
    const { metrics } = this.deps;
    metrics.transition({ from: 'SUBMITTED', to: 'CONFIRMED' }, r.confirmed);
    metrics.transition({ from: 'SUBMITTED', to: 'FAILED', reason: 'ON_CHAIN_ERROR' }, r.failed);
    metrics.transition({ from: 'SUBMITTED', to: 'FAILED', reason: 'EXPIRED' }, r.expired);
    if (r.deliveries > 0) this.deps.onOutbox?.();
    await this.deps.balances.dropAfterLanding(r.landed);
  }

  /**
   * One claimed page, in named steps: read the statuses, classify each row, make sure an
   * apparently expired row really is absent, fetch fees and rebroadcast, then record every
   * transition while the rows are still held.
   */
  private async processPage(
    rows: ClaimedTransaction[],
    unit: ClaimUnit,
    finalizedHeight: bigint,
  ): Promise<PageResult> {
    const { observer } = this.deps;
    const ids = rows.map((r) => r.id);
    observer?.claimed('confirm', ids);
    try {
      const { fresh, statuses } = await this.readStatuses(rows);
      const verdicts = this.classifyRows(rows, statuses, finalizedHeight);
      const expired = await this.confirmExpiry(verdicts.expiryCandidates, fresh, finalizedHeight);
      const confirmed = await this.fetchFeesAndRebroadcast(rows, verdicts);
      return await this.record(unit, { ...verdicts, confirmed, expired });
    } finally {
      observer?.released('confirm', ids);
    }
  }

  /**
   * Every row's status (searched after the pass read the finalized height); rows seen for the
   * first time are searched in the full history.
   */
  private async readStatuses(rows: ClaimedTransaction[]): Promise<{
    fresh: ClaimedTransaction[];
    statuses: Map<string, SignatureStatus>;
  }> {
    const { chain } = this.deps;
    const fresh = rows.filter((r) => !this.seen.has(r.id));
    const known = rows.filter((r) => this.seen.has(r.id));
    const statuses = new Map<string, SignatureStatus>();
    const lookup = async (list: ClaimedTransaction[], history: boolean) => {
      if (list.length === 0) return;
      const found = await chain.signatureStatuses(
        list.map((r) => r.signature),
        history,
      );
      list.forEach((r, i) => statuses.set(r.id, found[i] ?? null));
    };
    await Promise.all([lookup(fresh, true), lookup(known, false)]);
    for (const r of rows) this.seen.add(r.id);
    return { fresh, statuses };
  }

  /** Sorts the rows by what {@link classify} says to do with each. */
  private classifyRows(
    rows: ClaimedTransaction[],
    statuses: Map<string, SignatureStatus>,
    finalizedHeight: bigint,
  ): Verdicts {
    const now = new Date();
    const verdicts: Verdicts = { confirm: [], failed: [], expiryCandidates: [], rebroadcast: [] };
    for (const row of rows) {
      const verdict = classify({
        status: statuses.get(row.id) ?? null,
        lastValidBlockHeight: row.lastValidBlockHeight,
        lastSubmittedAt: row.lastSubmittedAt,
        finalizedBlockHeight: finalizedHeight,
        commitment: this.options.commitment,
        now,
        rebroadcastIntervalMs: this.options.rebroadcastIntervalMs,
      });
      if (verdict.kind === 'confirm') verdicts.confirm.push({ row, slot: verdict.slot });
      else if (verdict.kind === 'fail') {
        verdicts.failed.push({
          id: row.id,
          reason: 'ON_CHAIN_ERROR',
          errorMsg: stringifyError(verdict.err),
          slot: verdict.slot,
        });
      } else if (verdict.kind === 'expired') verdicts.expiryCandidates.push(row);
      // A frozen scope's transfer is only followed now: it may still land, never sent again.
      else if (verdict.kind === 'rebroadcast' && !row.frozen) verdicts.rebroadcast.push(row);
    }
    return verdicts;
  }

  /**
   * The expiry candidates that provably can no longer land. Absence is only trusted from a
   * history search made after the height was read: fresh rows had one; known rows get one now.
   */
  private async confirmExpiry(
    candidates: ClaimedTransaction[],
    fresh: ClaimedTransaction[],
    finalizedHeight: bigint,
  ): Promise<FailedUpdate[]> {
    const knownCandidates = candidates.filter((r) => !fresh.includes(r));
    const recheck =
      knownCandidates.length === 0
        ? []
        : await this.deps.chain.signatureStatuses(
            knownCandidates.map((r) => r.signature),
            true,
          );
    const stillAbsent = new Set(
      knownCandidates.filter((_, i) => (recheck[i] ?? null) === null).map((r) => r.id),
    );
    return candidates
      .filter((r) => fresh.includes(r) || stillAbsent.has(r.id))
      .map((r) => ({
        id: r.id,
        reason: 'EXPIRED',
        errorMsg: JSON.stringify({
          lastValidBlockHeight: r.lastValidBlockHeight.toString(),
          finalizedBlockHeight: finalizedHeight.toString(),
        }),
      }));
  }

  /**
   * Fees of the landed transactions (a confirmed one whose fee is not visible yet waits for a
   * later pass; a failed one is recorded with or without it) and the rebroadcasts.
   */
  private async fetchFeesAndRebroadcast(
    rows: ClaimedTransaction[],
    { confirm, failed, rebroadcast }: Verdicts,
  ): Promise<ConfirmedUpdate[]> {
    const { chain, logger } = this.deps;
    // A transfer's fee is planned exactly when it is built (base fee per signature plus the
    // priority fee of its compute budget) and stored on the row: a confirmed one paid that, so
    // only rows stored without a planned fee ask the node (`getTransaction` per signature was
    // a third of the ledger's cost per confirmed transfer).
    const [fees, sends] = await Promise.all([
      Promise.allSettled(
        confirm.map((c) =>
          c.row.networkFee > 0n
            ? Promise.resolve(c.row.networkFee)
            : chain.fee(c.row.signature, this.options.commitment),
        ),
      ),
      Promise.allSettled(rebroadcast.map((r) => chain.send(r.wireTransaction))),
    ]);
    const confirmed: ConfirmedUpdate[] = [];
    confirm.forEach((c, i) => {
      const fee = fees[i];
      // Not visible through getTransaction yet (or the call failed): confirm on a later pass.
      if (fee?.status === 'fulfilled' && fee.value !== undefined)
        confirmed.push({ id: c.row.id, slot: c.slot, fee: fee.value });
    });
    const failedFees = await Promise.allSettled(
      failed.map((f) =>
        chain.fee(rows.find((r) => r.id === f.id)?.signature ?? '', this.options.commitment),
      ),
    );
    failed.forEach((f, i) => {
      const fee = failedFees[i];
      if (fee?.status === 'fulfilled' && fee.value !== undefined) f.fee = fee.value;
    });
    const sendFailures = sends.filter((s) => s.status === 'rejected').length;
    if (sendFailures > 0)
      logger.warn({ failed: sendFailures, of: rebroadcast.length }, 'rebroadcast_send_failed');
    this.deps.metrics.send('rebroadcast', rebroadcast.length - sendFailures);
    return confirmed;
  }

  /** Records the page's transitions in the claim's transaction and sums them up. */
  private async record(
    unit: ClaimUnit,
    page: Verdicts & { confirmed: ConfirmedUpdate[]; expired: FailedUpdate[] },
  ): Promise<PageResult> {
    const { rebroadcast, confirmed, failed, expired } = page;
    await unit.recordAttempts(rebroadcast.map((r) => r.id));
    const c = await unit.markConfirmed(confirmed);
    const f = await unit.markFailed([...failed, ...expired]);
    const failedIds = new Set(failed.map((x) => x.id));
    const landedIds = new Set([
      ...c.moved.map((m) => m.id),
      ...f.moved.filter((m) => failedIds.has(m.id)).map((m) => m.id),
    ]);
    for (const m of [...c.moved, ...f.moved]) this.seen.delete(m.id);
    if (expired.length > 0)
      this.deps.logger.info({ expired: expired.map((e) => e.id) }, 'transactions_expired');
    return {
      confirmed: c.moved.length,
      failed: f.moved.filter((m) => failedIds.has(m.id)).length,
      expired: f.moved.filter((m) => !failedIds.has(m.id)).length,
      rebroadcast: rebroadcast.length,
      deliveries: c.deliveries + f.deliveries,
      landed: [...c.moved, ...f.moved].filter((m) => landedIds.has(m.id)),
    };
  }
}

/** One row's status as the chain reports it (null: not found). */
type SignatureStatus = Awaited<ReturnType<Chain['signatureStatuses']>>[number];

/** A page's rows, sorted by what to do with each. */
interface Verdicts {
  confirm: { row: ClaimedTransaction; slot: bigint }[];
  failed: FailedUpdate[];
  expiryCandidates: ClaimedTransaction[];
  rebroadcast: ClaimedTransaction[];
}

/**
 * On-chain errors as JSON text shaped like the validator's JSON (kit parses every integer as a
 * bigint; safe ones go back to numbers, any larger one becomes a string rather than losing digits).
 */
function stringifyError(err: unknown): string {
  return JSON.stringify(err, (_key, value: unknown) => {
    if (typeof value !== 'bigint') return value;
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  });
}
