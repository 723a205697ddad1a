import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Address, type ReadonlyUint8Array, isAddress } from '@solana/kit';
import { Turnkey, type TurnkeyApiClient } from '@turnkey/sdk-server';
import pRetry from 'p-retry';
import type { CreateWalletOptions, CustodyWallet, KeyCustody } from './custody.js';
import { SignerError } from './errors.js';
import { type TurnkeyCustodyConfig, validateTurnkeyConfig } from './turnkey.config.js';

const SOLANA_ACCOUNT = {
  curve: 'CURVE_ED25519',
  pathFormat: 'PATH_FORMAT_BIP32',
  path: "m/44'/501'/0'/0'",
  addressFormat: 'ADDRESS_FORMAT_SOLANA',
} as const;

type ActivityStatus =
  | 'ACTIVITY_STATUS_CREATED'
  | 'ACTIVITY_STATUS_PENDING'
  | 'ACTIVITY_STATUS_COMPLETED'
  | 'ACTIVITY_STATUS_FAILED'
  | 'ACTIVITY_STATUS_CONSENSUS_NEEDED'
  | 'ACTIVITY_STATUS_REJECTED'
  | 'ACTIVITY_STATUS_AUTHENTICATORS_NEEDED';

/** The parts of Turnkey's `v1Activity` this backend reads. */
interface Activity {
  id: string;
  organizationId: string;
  status: ActivityStatus;
  result?: {
    createWalletResult?: { walletId?: unknown; addresses?: unknown };
    signRawPayloadResult?: { r?: unknown; s?: unknown; v?: unknown };
  };
  failure?: { code?: number; message?: string };
}

interface SignedRequest {
  body: string;
  stamp: { stampHeaderName: string; stampHeaderValue: string };
  url: string;
}

/** An HTTP answer that is not a 2xx, kept apart so the retry policy can look at the status. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly providerCode: number | undefined,
    providerMessage: string | undefined,
  ) {
    super(`HTTP ${status}${providerMessage ? `: ${providerMessage}` : ''}`);
  }
}

/**
 * fetch failed before an HTTP answer: connection refused/reset, or the attempt timed out.
 * Wrapped in an error of this module because fetch's own errors may come from another realm
 * (test sandboxes), where `instanceof Error` checks such as p-retry's would misread them.
 */
class NetworkFailure extends Error {
  constructor(cause: unknown) {
    super(
      `network failure: ${((cause as { message?: unknown } | null)?.message as string | undefined) ?? String(cause)}`,
      { cause },
    );
  }
}

function isTransient(e: unknown): boolean {
  if (e instanceof HttpFailure) return e.status === 429 || e.status >= 500;
  return e instanceof NetworkFailure;
}

/**
 * Key custody in Turnkey through `@turnkey/sdk-server`: one Turnkey wallet per WAIaaS wallet
 * with a single Solana account (Ed25519, `m/44'/501'/0'/0'`), signing the transaction
 * message bytes as a raw payload (hex, no hashing: Ed25519 signs the message itself).
 *
 * The SDK builds and stamps each request (API key signature over the exact body, `X-Stamp`);
 * this class sends it itself because the SDK's own `fetch` takes no `AbortSignal` and drops
 * the HTTP status, and both are needed for a deadline and a 429/5xx-only retry policy. A
 * submission is stamped once and retried with identical bytes, so a retry after a lost
 * response resubmits the same request rather than a new one.
 *
 * @example
 * ```ts
 * const custody = new TurnkeyCustody({ apiBaseUrl: 'https://api.turnkey.com', organizationId, apiPublicKey, apiPrivateKey });
 * const { address, custodyRef } = await custody.createWallet({ name: 'agent-7 hot wallet' });
 * const signature = await custody.signMessage(address, messageBytes);
 * ```
 */
export class TurnkeyCustody implements KeyCustody {
  readonly kind = 'TURNKEY' as const;
  private readonly client: TurnkeyApiClient;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly retries: number;
  private readonly minBackoffMs: number;
  private readonly pollIntervalMs: number;

  constructor(private readonly config: TurnkeyCustodyConfig) {
    validateTurnkeyConfig(config);
    this.client = new Turnkey({
      apiBaseUrl: config.apiBaseUrl.replace(/\/+$/, ''),
      apiPublicKey: config.apiPublicKey,
      apiPrivateKey: config.apiPrivateKey,
      defaultOrganizationId: config.organizationId,
    }).apiClient();
    this.timeoutMs = config.timeoutMs ?? 30_000;
    this.attemptTimeoutMs = config.attemptTimeoutMs ?? 10_000;
    this.retries = config.retries ?? 3;
    this.minBackoffMs = config.minBackoffMs ?? 250;
    this.pollIntervalMs = config.pollIntervalMs ?? 500;
  }

  /** Creates a Turnkey wallet with one Solana account; `custodyRef` is the Turnkey wallet id. */
  async createWallet(opts: CreateWalletOptions = {}): Promise<CustodyWallet> {
    const operation = 'createWallet';
    const activity = await this.run(operation, () =>
      this.client.stampCreateWallet({
        walletName: opts.name ?? `waiaas-${randomUUID()}`,
        accounts: [{ ...SOLANA_ACCOUNT }],
      }),
    );
    const result = activity.result?.createWalletResult;
    const walletId = result?.walletId;
    const addresses = result?.addresses;
    const address: unknown = Array.isArray(addresses) ? addresses[0] : undefined;
    if (
      typeof walletId !== 'string' ||
      !walletId ||
      typeof address !== 'string' ||
      !isAddress(address)
    ) {
      throw new SignerError(
        'CUSTODY_BAD_RESPONSE',
        { operation, reason: 'createWalletResult lacks a walletId or a Solana address' },
        'Turnkey createWallet returned no wallet id or Solana address',
      );
    }
    return { address, custodyRef: walletId, kind: 'TURNKEY' };
  }

  /** Signs `message` with the account `address` (raw payload, hex, no hashing); returns r‖s. */
  async signMessage(address: Address, message: ReadonlyUint8Array): Promise<Uint8Array> {
    const operation = 'signRawPayload';
    const activity = await this.run(
      operation,
      () =>
        this.client.stampSignRawPayload({
          signWith: address,
          payload: Buffer.from(message).toString('hex'),
          encoding: 'PAYLOAD_ENCODING_HEXADECIMAL',
          hashFunction: 'HASH_FUNCTION_NOT_APPLICABLE',
        }),
      address,
    );
    const { r, s } = activity.result?.signRawPayloadResult ?? {};
    if (
      typeof r !== 'string' ||
      typeof s !== 'string' ||
      !/^[0-9a-fA-F]{64}$/.test(r) ||
      !/^[0-9a-fA-F]{64}$/.test(s)
    ) {
      throw new SignerError(
        'CUSTODY_SIGNING_FAILED',
        { address, reason: 'signRawPayloadResult lacks 32-byte r and s' },
        `Turnkey returned no usable signature for ${address}`,
      );
    }
    return new Uint8Array(Buffer.from(r + s, 'hex'));
  }

  /** Submits a stamped activity request and waits for it to finish, within the deadline. */
  private async run(
    operation: string,
    stamp: () => Promise<SignedRequest | undefined>,
    address?: Address,
  ): Promise<Activity> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      const request = await stamp();
      if (!request) throw new Error('the Turnkey SDK has no API key stamper');
      let activity = await this.send(operation, request, deadline);
      while (
        activity.status === 'ACTIVITY_STATUS_CREATED' ||
        activity.status === 'ACTIVITY_STATUS_PENDING'
      ) {
        await sleep(this.pollIntervalMs, undefined, { signal: deadline });
        const poll = await this.client.stampGetActivity({
          organizationId: activity.organizationId,
          activityId: activity.id,
        });
        if (!poll) throw new Error('the Turnkey SDK has no API key stamper');
        activity = await this.send(operation, poll, deadline);
      }
      if (activity.status !== 'ACTIVITY_STATUS_COMPLETED') {
        throw new SignerError(
          'CUSTODY_REJECTED',
          {
            operation,
            ...(activity.failure?.code !== undefined
              ? { providerCode: activity.failure.code }
              : { providerCode: activity.status }),
          },
          `Turnkey ${operation} ended ${activity.status}${activity.failure?.message ? `: ${activity.failure.message}` : ''}`,
        );
      }
      return activity;
    } catch (e) {
      throw this.toSignerError(e, operation, deadline, address);
    }
  }

  /** One HTTP exchange with retries on transient failures; returns the activity in the answer. */
  private async send(
    operation: string,
    request: SignedRequest,
    deadline: AbortSignal,
  ): Promise<Activity> {
    let attempts = 0;
    const json = await pRetry(
      async () => {
        attempts += 1;
        let response: Response;
        let text: string;
        try {
          response = await fetch(request.url, {
            method: 'POST',
            headers: {
              [request.stamp.stampHeaderName]: request.stamp.stampHeaderValue,
              'Content-Type': 'application/json',
            },
            body: request.body,
            signal: AbortSignal.any([deadline, AbortSignal.timeout(this.attemptTimeoutMs)]),
          });
          text = await response.text();
        } catch (e) {
          throw new NetworkFailure(e);
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (!response.ok) {
          const err = body as { code?: unknown; message?: unknown } | undefined;
          throw new HttpFailure(
            response.status,
            typeof err?.code === 'number' ? err.code : undefined,
            typeof err?.message === 'string' ? err.message : undefined,
          );
        }
        return body;
      },
      {
        retries: this.retries,
        minTimeout: this.minBackoffMs,
        factor: 2,
        maxTimeout: 5_000,
        signal: deadline,
        shouldRetry: ({ error }) => !deadline.aborted && isTransient(error),
      },
    ).catch((e: unknown) => {
      if (e instanceof Error) Object.assign(e, { attempts });
      throw e;
    });
    const activity = (json as { activity?: Activity } | undefined)?.activity;
    if (!activity || typeof activity.id !== 'string' || typeof activity.status !== 'string') {
      throw new SignerError(
        'CUSTODY_BAD_RESPONSE',
        { operation, reason: 'answer has no activity' },
        `Turnkey ${operation}: answer has no activity`,
      );
    }
    return activity;
  }

  private toSignerError(
    e: unknown,
    operation: string,
    deadline: AbortSignal,
    address: Address | undefined,
  ): SignerError {
    if (e instanceof SignerError) return e as SignerError;
    const attempts = (e as { attempts?: number }).attempts ?? 1;
    if (deadline.aborted) {
      return new SignerError(
        'CUSTODY_TIMEOUT',
        { operation, timeoutMs: this.timeoutMs },
        `Turnkey ${operation} did not finish within ${this.timeoutMs} ms`,
        { cause: e },
      );
    }
    if (e instanceof HttpFailure) {
      if (e.status === 429) {
        return new SignerError(
          'CUSTODY_RATE_LIMITED',
          { operation, attempts },
          `Turnkey ${operation} rate limited after ${attempts} attempts`,
          { cause: e },
        );
      }
      if (e.status >= 500) {
        return new SignerError(
          'CUSTODY_UNAVAILABLE',
          { operation, attempts, status: e.status },
          `Turnkey ${operation} failed with HTTP ${e.status} after ${attempts} attempts`,
          { cause: e },
        );
      }
      // gRPC NOT_FOUND (5) on signing: Turnkey has no account for this address in the organisation.
      if (address && (e.status === 404 || e.providerCode === 5)) {
        return new SignerError(
          'CUSTODY_KEY_NOT_FOUND',
          { address },
          `Turnkey has no account ${address}`,
          { cause: e },
        );
      }
      return new SignerError(
        'CUSTODY_REJECTED',
        {
          operation,
          status: e.status,
          ...(e.providerCode !== undefined ? { providerCode: e.providerCode } : {}),
        },
        `Turnkey refused ${operation}: ${e.message}`,
        { cause: e },
      );
    }
    if (isTransient(e)) {
      return new SignerError(
        'CUSTODY_UNAVAILABLE',
        { operation, attempts },
        `Turnkey ${operation} unreachable after ${attempts} attempts`,
        { cause: e },
      );
    }
    return new SignerError(
      'CUSTODY_BAD_RESPONSE',
      { operation, reason: e instanceof Error ? e.message : String(e) },
      `Turnkey ${operation} failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}
