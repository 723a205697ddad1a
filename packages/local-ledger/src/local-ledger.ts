import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Address, type Signature } from '@solana/kit';
import { parseJsonWithBigInts, stringifyJsonWithBigInts } from '@solana/rpc-spec-types';
import { type LiteSVM } from 'litesvm';
import { LocalLedgerError } from './errors.js';
import { Params, RpcError, RPC_ERROR } from './json-rpc.js';
import { Ledger } from './ledger.js';
import { createPrng } from './prng.js';
import { createMethods, type MethodHandler } from './rpc-methods.js';

/**
 * Faults injected into the RPC, decided by a seeded PRNG so runs are reproducible.
 *
 * @example
 * ```ts
 * // Half of the sends vanish, every getSignatureStatuses call is slow and 10% fail with HTTP 503.
 * const faults: FaultOptions = { dropRate: 0.5, latencyMs: 200, errorRate: 0.1, seed: 7 };
 * const ledger = await startLocalLedger({ port: 0, faults });
 * ledger.setFaults({}); // back to a healthy node
 * ```
 */
export interface FaultOptions {
  /** Share (0..1) of `sendTransaction` calls answered with the signature but never landed. */
  dropRate?: number;
  /** Latency added before answering each affected request, in milliseconds. */
  latencyMs?: number;
  /** Share (0..1) of affected requests that fail instead of being served. */
  errorRate?: number;
  /**
   * How an injected failure looks: `'http'` (default) answers HTTP 503 like an overloaded
   * provider; `'rpc'` answers HTTP 200 with JSON-RPC error -32005 "Node is unhealthy".
   */
  errorMode?: 'http' | 'rpc';
  /** Methods `latencyMs` and `errorRate` apply to; all methods when absent. */
  methods?: readonly string[];
  /** PRNG seed (default 1). */
  seed?: number;
}

/**
 * Options of {@link startLocalLedger}.
 *
 * @example
 * ```ts
 * // A free port, manual slots, confirmation after 1 slot and finality after 4.
 * const options: LocalLedgerOptions = { port: 0, slotMs: 0, confirmationDepth: 1, finalizationDepth: 4 };
 * ```
 */
export interface LocalLedgerOptions {
  /** TCP port; default 8899, the usual local validator port. `0` picks a free port. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /**
   * Milliseconds per slot (default 400). `0` stops the clock: slots then move only through
   * {@link LocalLedger.advanceSlots}, which makes tests deterministic.
   */
  slotMs?: number;
  /** Slots after landing at which a transaction is `confirmed` (default 1). */
  confirmationDepth?: number;
  /** Slots after landing at which a transaction is `finalized` (default 32). */
  finalizationDepth?: number;
  /** First slot (and block height); default 0. */
  startSlot?: bigint;
  /** Faults to inject; none by default. */
  faults?: FaultOptions;
}

/**
 * A running local ledger.
 *
 * @example
 * ```ts
 * const ledger: LocalLedger = await startLocalLedger({ port: 0, slotMs: 0 });
 * const signature = await ledger.airdrop(address, 1_000_000_000n);
 * ledger.advanceSlots(32); // now finalized
 * expect(ledger.landingCount(signature)).toBe(1);
 * await ledger.close();
 * ```
 */
export interface LocalLedger {
  /** `http://host:port`: pass it to kit's `createSolanaRpc`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The LiteSVM instance behind the RPC, for direct state setup in tests. */
  readonly svm: LiteSVM;
  /** The current (processed) slot. */
  readonly slot: bigint;
  /** The current block height. */
  readonly blockHeight: bigint;
  /** Produces `n` blocks at once (works with the clock running or stopped). */
  advanceSlots(n: number): void;
  /** Airdrops lamports through the faucet, as `requestAirdrop` does; resolves to the signature. */
  airdrop(address: Address, lamports: bigint): Promise<Signature>;
  /** How many times a signature was applied to the ledger: 0 or 1 (a real cluster never lands twice). */
  landingCount(signature: string): number;
  /** True when fault injection acknowledged the signature and then dropped it. */
  wasDropped(signature: string): boolean;
  /** Replaces the fault configuration (the PRNG is reseeded when `seed` is given). */
  setFaults(faults: FaultOptions): void;
  /** Stops the clock and the HTTP server. */
  close(): Promise<void>;
}

/** Request bodies above this are refused (413): a batch of 100 max-size transactions is ~200 KB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/**
 * Starts a Solana JSON-RPC 2.0 server backed by LiteSVM: slots advance on a clock, landed
 * transactions go processed → confirmed → finalized, blockhashes expire after 150 blocks,
 * and faults can be injected. kit's `createSolanaRpc(ledger.url)` works against it unchanged.
 *
 * @example
 * ```ts
 * import { createSolanaRpc, generateKeyPairSigner, lamports } from '@solana/kit';
 * import { startLocalLedger } from '@waiaas/local-ledger';
 *
 * const ledger = await startLocalLedger({ port: 0, slotMs: 0 }); // manual slots
 * const rpc = createSolanaRpc(ledger.url);
 * const wallet = await generateKeyPairSigner();
 * await rpc.requestAirdrop(wallet.address, lamports(1_000_000_000n)).send();
 * ledger.advanceSlots(1);
 * const { value } = await rpc.getBalance(wallet.address, { commitment: 'confirmed' }).send();
 * await ledger.close();
 * ```
 */
export async function startLocalLedger(options: LocalLedgerOptions = {}): Promise<LocalLedger> {
  const { port, host, slotMs, confirmationDepth, finalizationDepth, startSlot } =
    checkedOptions(options);
  const ledger = new Ledger({
    slotMs: slotMs === 0 ? 400 : slotMs,
    confirmationDepth: BigInt(confirmationDepth),
    finalizationDepth: BigInt(finalizationDepth),
    startSlot,
    startUnixTimestamp: BigInt(Math.floor(Date.now() / 1000)),
  });
  await ledger.init();

  let faults = validateFaults(options.faults ?? {});
  let random = createPrng(faults.seed ?? 1);
  const methods = createMethods({
    ledger,
    shouldDrop: () => (faults.dropRate ?? 0) > 0 && random() < (faults.dropRate ?? 0),
  });

  const server = await listen(host, port, (req, res) =>
    handleHttp(req, res, methods, () => ({ faults, random })),
  );
  const boundPort = (server.address() as AddressInfo).port;

  const timer = slotMs > 0 ? setInterval(() => ledger.advanceSlots(1), slotMs) : undefined;
  timer?.unref();
  let closed = false;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    host,
    svm: ledger.svm,
    get slot() {
      return ledger.slot;
    },
    get blockHeight() {
      return ledger.blockHeight;
    },
    advanceSlots(n: number) {
      integerOption('n', n, 0, 1_000_000);
      ledger.advanceSlots(n);
    },
    async airdrop(address: Address, amount: bigint) {
      if (closed)
        throw new LocalLedgerError(
          'LOCAL_LEDGER_CLOSED',
          { operation: 'airdrop' },
          'the local ledger is closed',
        );
      const outcome = await ledger.airdrop(address, amount);
      return outcome.signature;
    },
    landingCount: (signature) => ledger.landingCount(signature),
    wasDropped: (signature) => ledger.wasDropped(signature),
    setFaults(next: FaultOptions) {
      faults = validateFaults(next);
      if (next.seed !== undefined) random = createPrng(next.seed);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      await closeServer(server);
    },
  };
}

/** The options with their defaults, each checked (`LOCAL_LEDGER_INVALID_OPTION`). */
function checkedOptions(options: LocalLedgerOptions) {
  const port = integerOption('port', options.port ?? 8899, 0, 65_535);
  const host = options.host ?? '127.0.0.1';
  const slotMs = integerOption('slotMs', options.slotMs ?? 400, 0, 3_600_000);
  const confirmationDepth = integerOption(
    'confirmationDepth',
    options.confirmationDepth ?? 1,
    0,
    10_000,
  );
  const finalizationDepth = integerOption(
    'finalizationDepth',
    options.finalizationDepth ?? 32,
    0,
    10_000,
  );
  if (finalizationDepth < confirmationDepth) {
    throw new LocalLedgerError(
      'LOCAL_LEDGER_INVALID_OPTION',
      {
        option: 'finalizationDepth',
        value: finalizationDepth,
        reason: 'must be >= confirmationDepth',
      },
      'finalizationDepth must be at least confirmationDepth',
    );
  }
  const startSlot = options.startSlot ?? 0n;
  if (startSlot < 0n) {
    throw new LocalLedgerError(
      'LOCAL_LEDGER_INVALID_OPTION',
      { option: 'startSlot', value: startSlot, reason: 'must be >= 0' },
      'startSlot must not be negative',
    );
  }

  return { port, host, slotMs, confirmationDepth, finalizationDepth, startSlot };
}

/** An HTTP server listening on `host:port` (`LOCAL_LEDGER_LISTEN_FAILED` if it cannot). */
async function listen(
  host: string,
  port: number,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client went away mid-request (or the socket failed): nothing left to answer.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      reject(
        new LocalLedgerError(
          'LOCAL_LEDGER_LISTEN_FAILED',
          { host, port, cause: e.message },
          `local ledger could not listen on ${host}:${port}: ${e.message}`,
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}

async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  methods: Record<string, MethodHandler>,
  state: () => { faults: FaultOptions; random: () => number },
): Promise<void> {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');

  let body: unknown;
  try {
    body = parseJsonWithBigInts(text);
  } catch {
    send(res, 200, errorResponse(null, new RpcError(RPC_ERROR.PARSE_ERROR, 'Parse error')));
    return;
  }

  const requests = Array.isArray(body) ? (body as unknown[]) : [body];
  const { faults, random } = state();
  const affected = requests.some((r) => {
    const method = (r as JsonRpcRequest | null)?.method;
    return (
      faults.methods === undefined ||
      (typeof method === 'string' && faults.methods.includes(method))
    );
  });
  if (affected && (faults.latencyMs ?? 0) > 0) await sleep(faults.latencyMs);
  if (affected && (faults.errorRate ?? 0) > 0 && random() < (faults.errorRate ?? 0)) {
    const unhealthy = new RpcError(RPC_ERROR.NODE_UNHEALTHY, 'Node is unhealthy', {
      numSlotsBehind: null,
    });
    const id = Array.isArray(body) ? null : ((body as JsonRpcRequest | null)?.id ?? null);
    send(res, faults.errorMode === 'rpc' ? 200 : 503, errorResponse(id, unhealthy));
    return;
  }

  if (Array.isArray(body)) {
    if (body.length === 0) {
      send(
        res,
        200,
        errorResponse(null, new RpcError(RPC_ERROR.INVALID_REQUEST, 'Invalid request')),
      );
      return;
    }
    const responses: unknown[] = [];
    for (const request of body) responses.push(await dispatch(request, methods));
    send(res, 200, responses);
    return;
  }
  send(res, 200, await dispatch(body, methods));
}

async function dispatch(
  request: unknown,
  methods: Record<string, MethodHandler>,
): Promise<unknown> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return errorResponse(null, new RpcError(RPC_ERROR.INVALID_REQUEST, 'Invalid request'));
  }
  const { jsonrpc, id = null, method, params } = request as JsonRpcRequest;
  if (jsonrpc !== '2.0' || typeof method !== 'string') {
    return errorResponse(id, new RpcError(RPC_ERROR.INVALID_REQUEST, 'Invalid request'));
  }
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (handler === undefined)
    return errorResponse(id, new RpcError(RPC_ERROR.METHOD_NOT_FOUND, 'Method not found'));
  try {
    const result: unknown = await handler(new Params(params));
    return { jsonrpc: '2.0', result, id };
  } catch (e) {
    if (e instanceof RpcError) return errorResponse(id, e);
    return errorResponse(
      id,
      new RpcError(
        RPC_ERROR.INTERNAL_ERROR,
        `Internal error: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
  }
}

function errorResponse(id: unknown, error: RpcError): unknown {
  return {
    jsonrpc: '2.0',
    error: {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    },
    id,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  // bigints (u64 lamports, slots, rentEpoch = u64::MAX) are written as exact JSON integers.
  const json = stringifyJsonWithBigInts(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
    })
    .end(json);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((e) => (e ? reject(e) : resolve()));
    server.closeAllConnections();
  });
}

function integerOption(option: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LocalLedgerError(
      'LOCAL_LEDGER_INVALID_OPTION',
      { option, value, reason: `must be an integer in [${min}, ${max}]` },
      `${option} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

function validateFaults(faults: FaultOptions): FaultOptions {
  for (const key of ['dropRate', 'errorRate'] as const) {
    const value = faults[key];
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      throw new LocalLedgerError(
        'LOCAL_LEDGER_INVALID_OPTION',
        { option: `faults.${key}`, value, reason: 'must be within [0, 1]' },
        `faults.${key} must be within [0, 1], got ${String(value)}`,
      );
    }
  }
  if (faults.latencyMs !== undefined)
    integerOption('faults.latencyMs', faults.latencyMs, 0, 600_000);
  return { ...faults };
}
