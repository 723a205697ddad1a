// A local stand-in for Turnkey's public API (node:http on 127.0.0.1, random port). It checks
// every request's X-Stamp exactly as Turnkey documents it (base64url JSON { publicKey,
// scheme: SIGNATURE_SCHEME_TK_API_P256, signature: DER hex ECDSA P-256/SHA-256 over the
// exact body }) against the registered API public key, holds real Ed25519 keys so its
// signatures verify on LiteSVM, and answers with Turnkey's activity shapes. Faults can be
// scripted per endpoint: HTTP errors, slow answers, activities left pending, failed activities.
import {
  ECDH,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign as edSign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getBase58Decoder } from '@solana/kit';

export const CREATE_WALLET = '/public/v1/submit/create_wallet';
export const SIGN_RAW_PAYLOAD = '/public/v1/submit/sign_raw_payload';
export const GET_ACTIVITY = '/public/v1/query/get_activity';

export type Fault =
  | { status: number; body?: string }
  | { delayMs: number }
  | { pendingPolls: number }
  | {
      activityStatus:
        'ACTIVITY_STATUS_FAILED' | 'ACTIVITY_STATUS_REJECTED' | 'ACTIVITY_STATUS_CONSENSUS_NEEDED';
    };

export interface RecordedRequest {
  path: string;
  body: string;
  stampValid: boolean;
}

interface StoredActivity {
  activity: Record<string, unknown>;
  pollsLeft: number;
}

/** Generates a Turnkey-format API key pair: hex private scalar, compressed hex public point. */
export function generateApiKeyPair(): { apiPublicKey: string; apiPrivateKey: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const hex = (b64url: string) =>
    Buffer.from(b64url, 'base64url').toString('hex').padStart(64, '0');
  const y = Buffer.from(jwk.y!, 'base64url');
  return {
    apiPrivateKey: hex(jwk.d!),
    apiPublicKey: ((y[y.length - 1]! & 1) === 0 ? '02' : '03') + hex(jwk.x!),
  };
}

function p256PublicKey(compressedHex: string): KeyObject {
  const uncompressed = ECDH.convertKey(
    compressedHex,
    'prime256v1',
    'hex',
    undefined,
    'uncompressed',
  ) as Buffer;
  const spkiPrefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
  return createPublicKey({
    key: Buffer.concat([spkiPrefix, uncompressed]),
    format: 'der',
    type: 'spki',
  });
}

const timestamp = () => ({ seconds: String(Math.floor(Date.now() / 1000)), nanos: '0' });

export class TurnkeyStandIn {
  readonly organizationId = randomUUID();
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private readonly faults = new Map<string, Fault[]>();
  private readonly keys = new Map<string, KeyObject>(); // address -> Ed25519 private key
  private readonly activities = new Map<string, StoredActivity>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly apiKey: KeyObject;

  constructor(private readonly apiPublicKey: string) {
    this.apiKey = p256PublicKey(apiPublicKey);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 13, message: String(e), details: [] }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  /** Queues faults answered, in order, by the next requests to `path`. */
  inject(path: string, ...faults: Fault[]): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private verifyStamp(header: string | undefined, body: string): boolean {
    if (!header) return false;
    try {
      const stamp = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
        publicKey?: unknown;
        scheme?: unknown;
        signature?: unknown;
      };
      if (
        stamp.scheme !== 'SIGNATURE_SCHEME_TK_API_P256' ||
        stamp.publicKey !== this.apiPublicKey ||
        typeof stamp.signature !== 'string'
      )
        return false;
      return verify(
        'sha256',
        Buffer.from(body, 'utf8'),
        { key: this.apiKey, dsaEncoding: 'der' },
        Buffer.from(stamp.signature, 'hex'),
      );
    } catch {
      return false;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const stampValid = this.verifyStamp(req.headers['x-stamp'] as string | undefined, body);
    this.requests.push({ path, body, stampValid });
    const reply = (status: number, payload: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const error = (status: number, code: number, message: string): void =>
      reply(status, { code, message, details: [] });

    if (req.method !== 'POST') return error(404, 5, 'not found');
    if (!stampValid) return error(401, 16, 'could not verify api key signature');
    const fault = this.faults.get(path)?.shift();
    if (fault && 'delayMs' in fault) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, fault.delayMs);
        this.timers.add(t);
      });
      if (res.destroyed) return;
    }
    if (fault && 'status' in fault)
      return reply(
        fault.status,
        fault.body ?? { code: fault.status === 429 ? 8 : 14, message: 'injected', details: [] },
      );

    let parsed: {
      type?: string;
      organizationId?: string;
      timestampMs?: string;
      parameters?: Record<string, unknown>;
      activityId?: string;
    };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return error(400, 3, 'invalid JSON');
    }
    if (parsed.organizationId !== this.organizationId)
      return error(403, 7, 'organization mismatch');

    if (path === GET_ACTIVITY) {
      const stored = parsed.activityId ? this.activities.get(parsed.activityId) : undefined;
      if (!stored) return error(404, 5, 'activity not found');
      if (stored.pollsLeft > 0) stored.pollsLeft -= 1;
      return reply(200, {
        activity:
          stored.pollsLeft > 0
            ? { ...stored.activity, status: 'ACTIVITY_STATUS_PENDING', result: {} }
            : stored.activity,
      });
    }

    let type: string;
    let intent: Record<string, unknown>;
    let result: Record<string, unknown>;
    const p = parsed.parameters ?? {};
    if (path === CREATE_WALLET) {
      if (parsed.type !== 'ACTIVITY_TYPE_CREATE_WALLET' || !parsed.timestampMs)
        return error(400, 3, 'bad activity type or timestamp');
      const accounts = p.accounts as Array<Record<string, unknown>> | undefined;
      const account = accounts?.[0];
      if (
        typeof p.walletName !== 'string' ||
        accounts?.length !== 1 ||
        account?.curve !== 'CURVE_ED25519' ||
        account.pathFormat !== 'PATH_FORMAT_BIP32' ||
        account.path !== "m/44'/501'/0'/0'" ||
        account.addressFormat !== 'ADDRESS_FORMAT_SOLANA'
      ) {
        return error(400, 3, 'invalid wallet account params');
      }
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      const address = getBase58Decoder().decode(raw);
      this.keys.set(address, privateKey);
      type = parsed.type;
      intent = { createWalletIntent: p };
      result = { createWalletResult: { walletId: randomUUID(), addresses: [address] } };
    } else if (path === SIGN_RAW_PAYLOAD) {
      if (parsed.type !== 'ACTIVITY_TYPE_SIGN_RAW_PAYLOAD_V2' || !parsed.timestampMs)
        return error(400, 3, 'bad activity type or timestamp');
      if (
        p.encoding !== 'PAYLOAD_ENCODING_HEXADECIMAL' ||
        p.hashFunction !== 'HASH_FUNCTION_NOT_APPLICABLE' ||
        typeof p.payload !== 'string' ||
        !/^([0-9a-f]{2})+$/i.test(p.payload)
      ) {
        return error(400, 3, 'invalid payload parameters');
      }
      const key = typeof p.signWith === 'string' ? this.keys.get(p.signWith) : undefined;
      if (!key) return error(404, 5, `no wallet account for ${String(p.signWith)}`);
      const sig = edSign(null, Buffer.from(p.payload, 'hex'), key);
      type = parsed.type;
      intent = { signRawPayloadIntentV2: p };
      result = {
        signRawPayloadResult: {
          r: sig.subarray(0, 32).toString('hex'),
          s: sig.subarray(32).toString('hex'),
          v: '00',
        },
      };
    } else {
      return error(404, 5, `unknown endpoint ${path}`);
    }

    const id = randomUUID();
    const failed = fault && 'activityStatus' in fault ? fault.activityStatus : undefined;
    const activity = {
      id,
      organizationId: this.organizationId,
      status: failed ?? 'ACTIVITY_STATUS_COMPLETED',
      type,
      intent,
      result: failed ? {} : result,
      votes: [],
      fingerprint: `sha256:${id}`,
      canApprove: false,
      canReject: false,
      createdAt: timestamp(),
      updatedAt: timestamp(),
      ...(failed === 'ACTIVITY_STATUS_FAILED'
        ? { failure: { code: 9, message: 'policy denied', details: [] } }
        : {}),
    };
    const pollsLeft = fault && 'pendingPolls' in fault ? fault.pendingPolls : 0;
    this.activities.set(id, { activity, pollsLeft });
    return reply(200, {
      activity:
        pollsLeft > 0 ? { ...activity, status: 'ACTIVITY_STATUS_PENDING', result: {} } : activity,
    });
  }
}
