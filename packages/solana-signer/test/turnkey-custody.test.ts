import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Address,
  getPublicKeyFromAddress,
  signatureBytes,
  verifySignature,
} from '@solana/kit';
import { isSignerError } from '../src/index.js';
import { TurnkeyCustody, type TurnkeyCustodyConfig, loadTurnkeyConfig } from '../src/turnkey.js';
import { transferScenarios } from './support/transfer-scenarios.js';
import {
  CREATE_WALLET,
  GET_ACTIVITY,
  SIGN_RAW_PAYLOAD,
  TurnkeyStandIn,
  generateApiKeyPair,
} from './support/turnkey-stand-in.js';

const apiKey = generateApiKeyPair();
const standIn = new TurnkeyStandIn(apiKey.apiPublicKey);
let baseConfig: TurnkeyCustodyConfig;
let custody: TurnkeyCustody;

beforeAll(async () => {
  const apiBaseUrl = await standIn.start();
  baseConfig = {
    apiBaseUrl,
    organizationId: standIn.organizationId,
    ...apiKey,
    minBackoffMs: 5,
    pollIntervalMs: 5,
  };
  custody = new TurnkeyCustody(baseConfig);
});

afterAll(async () => {
  await standIn.stop();
});

async function verifies(
  address: Address,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return verifySignature(
    await getPublicKeyFromAddress(address),
    signatureBytes(signature),
    message,
  );
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('TurnkeyCustody transfers on LiteSVM', () => {
  transferScenarios(() => custody);
});

describe('TurnkeyCustody against the Turnkey stand-in', () => {
  it('creates a wallet with one Solana account in stamped requests', async () => {
    const before = standIn.requestsTo(CREATE_WALLET).length;
    const wallet = await custody.createWallet({ name: 'agent wallet 1' });
    expect(wallet.kind).toBe('TURNKEY');
    expect(wallet.custodyRef).toMatch(/^[0-9a-f-]{36}$/);
    const [request] = standIn.requestsTo(CREATE_WALLET).slice(before);
    expect(request!.stampValid).toBe(true);
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'ACTIVITY_TYPE_CREATE_WALLET',
      organizationId: standIn.organizationId,
      parameters: {
        walletName: 'agent wallet 1',
        accounts: [
          {
            curve: 'CURVE_ED25519',
            pathFormat: 'PATH_FORMAT_BIP32',
            path: "m/44'/501'/0'/0'",
            addressFormat: 'ADDRESS_FORMAT_SOLANA',
          },
        ],
      },
    });
  });

  it('signs raw message bytes, hex encoded, without hashing', async () => {
    const { address } = await custody.createWallet();
    const message = randomBytes(200);
    const before = standIn.requestsTo(SIGN_RAW_PAYLOAD).length;
    const signature = await custody.signMessage(address, message);
    expect(signature).toHaveLength(64);
    expect(await verifies(address, message, signature)).toBe(true);
    const [request] = standIn.requestsTo(SIGN_RAW_PAYLOAD).slice(before);
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'ACTIVITY_TYPE_SIGN_RAW_PAYLOAD_V2',
      parameters: {
        signWith: address,
        payload: message.toString('hex'),
        encoding: 'PAYLOAD_ENCODING_HEXADECIMAL',
        hashFunction: 'HASH_FUNCTION_NOT_APPLICABLE',
      },
    });
  });

  it('a stamp made with another API key is refused (401) and not retried', async () => {
    const impostor = new TurnkeyCustody({
      ...baseConfig,
      apiPrivateKey: generateApiKeyPair().apiPrivateKey,
    });
    const before = standIn.requestsTo(CREATE_WALLET).length;
    const error = await caught(impostor.createWallet());
    expect(isSignerError(error, 'CUSTODY_REJECTED')).toBe(true);
    expect(error).toMatchObject({
      context: { operation: 'createWallet', status: 401, providerCode: 16 },
    });
    const attempts = standIn.requestsTo(CREATE_WALLET).slice(before);
    expect(attempts.map((r) => r.stampValid)).toEqual([false]);
  });

  it('retries a 429 with the identical stamped request, then succeeds', async () => {
    const { address } = await custody.createWallet();
    standIn.inject(SIGN_RAW_PAYLOAD, { status: 429 }, { status: 503 });
    const before = standIn.requestsTo(SIGN_RAW_PAYLOAD).length;
    const message = randomBytes(32);
    expect(await verifies(address, message, await custody.signMessage(address, message))).toBe(
      true,
    );
    const attempts = standIn.requestsTo(SIGN_RAW_PAYLOAD).slice(before);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
  });

  it('gives up after the configured retries: CUSTODY_RATE_LIMITED / CUSTODY_UNAVAILABLE', async () => {
    const { address } = await custody.createWallet();
    const limited = new TurnkeyCustody({ ...baseConfig, retries: 2 });
    standIn.inject(SIGN_RAW_PAYLOAD, { status: 429 }, { status: 429 }, { status: 429 });
    expect(await caught(limited.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_RATE_LIMITED',
      context: { operation: 'signRawPayload', attempts: 3 },
    });
    standIn.inject(SIGN_RAW_PAYLOAD, { status: 500 }, { status: 502 }, { status: 503 });
    expect(await caught(limited.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_UNAVAILABLE',
      context: { operation: 'signRawPayload', attempts: 3, status: 503 },
    });
  });

  it('does not retry a 400 and reports it as CUSTODY_REJECTED', async () => {
    const { address } = await custody.createWallet();
    standIn.inject(SIGN_RAW_PAYLOAD, {
      status: 400,
      body: JSON.stringify({ code: 3, message: 'bad request', details: [] }),
    });
    const before = standIn.requestsTo(SIGN_RAW_PAYLOAD).length;
    expect(await caught(custody.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_REJECTED',
      context: { status: 400, providerCode: 3 },
    });
    expect(standIn.requestsTo(SIGN_RAW_PAYLOAD).length - before).toBe(1);
  });

  it('an address Turnkey does not hold is CUSTODY_KEY_NOT_FOUND', async () => {
    const { address } = await custody.createWallet();
    const stranger = (await import('@solana/kit')).getAddressDecoder().decode(randomBytes(32));
    expect(stranger).not.toBe(address);
    expect(await caught(custody.signMessage(stranger, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_KEY_NOT_FOUND',
      context: { address: stranger },
    });
  });

  it('a response slower than the deadline is CUSTODY_TIMEOUT', async () => {
    const { address } = await custody.createWallet();
    const hurried = new TurnkeyCustody({ ...baseConfig, timeoutMs: 300, attemptTimeoutMs: 60_000 });
    standIn.inject(SIGN_RAW_PAYLOAD, { delayMs: 30_000 });
    expect(await caught(hurried.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_TIMEOUT',
      context: { operation: 'signRawPayload', timeoutMs: 300 },
    });
  });

  it('an attempt slower than the attempt timeout is retried within the deadline', async () => {
    const { address } = await custody.createWallet();
    const patient = new TurnkeyCustody({ ...baseConfig, timeoutMs: 30_000, attemptTimeoutMs: 200 });
    standIn.inject(SIGN_RAW_PAYLOAD, { delayMs: 30_000 });
    const message = randomBytes(10);
    expect(await verifies(address, message, await patient.signMessage(address, message))).toBe(
      true,
    );
  });

  it('polls get_activity while the activity is pending', async () => {
    const { address } = await custody.createWallet();
    standIn.inject(SIGN_RAW_PAYLOAD, { pendingPolls: 2 });
    const polls = standIn.requestsTo(GET_ACTIVITY).length;
    const message = randomBytes(10);
    expect(await verifies(address, message, await custody.signMessage(address, message))).toBe(
      true,
    );
    const pollRequests = standIn.requestsTo(GET_ACTIVITY).slice(polls);
    expect(pollRequests).toHaveLength(2);
    expect(pollRequests.every((r) => r.stampValid)).toBe(true);
  });

  it('a failed or rejected activity is CUSTODY_REJECTED', async () => {
    const { address } = await custody.createWallet();
    standIn.inject(SIGN_RAW_PAYLOAD, { activityStatus: 'ACTIVITY_STATUS_FAILED' });
    expect(await caught(custody.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_REJECTED',
      context: { providerCode: 9 },
    });
    standIn.inject(SIGN_RAW_PAYLOAD, { activityStatus: 'ACTIVITY_STATUS_CONSENSUS_NEEDED' });
    expect(await caught(custody.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_REJECTED',
      context: { providerCode: 'ACTIVITY_STATUS_CONSENSUS_NEEDED' },
    });
  });

  it('a non-JSON 200 answer is CUSTODY_BAD_RESPONSE', async () => {
    const { address } = await custody.createWallet();
    standIn.inject(SIGN_RAW_PAYLOAD, { status: 200, body: '<html>proxy</html>' });
    expect(await caught(custody.signMessage(address, new Uint8Array([1])))).toMatchObject({
      code: 'CUSTODY_BAD_RESPONSE',
    });
  });

  it('an unreachable API is CUSTODY_UNAVAILABLE after retries', async () => {
    const closed = new TurnkeyStandIn(apiKey.apiPublicKey);
    const url = await closed.start();
    await closed.stop();
    const offline = new TurnkeyCustody({ ...baseConfig, apiBaseUrl: url, retries: 1 });
    expect(await caught(offline.createWallet())).toMatchObject({
      code: 'CUSTODY_UNAVAILABLE',
      context: { operation: 'createWallet', attempts: 2 },
    });
  });
});

describe('loadTurnkeyConfig', () => {
  const given = {
    apiBaseUrl: 'https://api.turnkey.com',
    organizationId: ' org ',
    apiPublicKey: apiKey.apiPublicKey,
    apiPrivateKey: apiKey.apiPrivateKey,
  };

  it('is null without any credential, a trimmed config with all of them', () => {
    expect(loadTurnkeyConfig({})).toBeNull();
    expect(loadTurnkeyConfig({ organizationId: ' ', timeoutMs: 5_000 })).toBeNull();
    expect(loadTurnkeyConfig({ ...given, timeoutMs: 5_000 })).toEqual({
      timeoutMs: 5_000,
      apiBaseUrl: 'https://api.turnkey.com',
      organizationId: 'org',
      ...apiKey,
    });
  });

  it('refuses a partial or malformed configuration, naming the field', () => {
    expect(() => loadTurnkeyConfig({ ...given, apiPrivateKey: '' })).toThrow(/^apiPrivateKey/);
    expect(() => loadTurnkeyConfig({ ...given, apiPublicKey: 'abcd' })).toThrow(/^apiPublicKey/);
    expect(() => loadTurnkeyConfig({ ...given, apiBaseUrl: 'ftp://x' })).toThrow(/^apiBaseUrl/);
    const error = (() => {
      try {
        loadTurnkeyConfig({ ...given, apiPrivateKey: 'zz' });
      } catch (e) {
        return e;
      }
    })();
    expect(isSignerError(error, 'CUSTODY_CONFIG_INVALID')).toBe(true);
    // The secret itself never appears in the message.
    expect(String((error as Error).message)).not.toContain(apiKey.apiPrivateKey);
  });
});
