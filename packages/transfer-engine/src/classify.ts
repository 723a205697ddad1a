/**
 * Which failures are whose: a client's request that cannot be built (4xx), the RPC or custody
 * being down (503), or a bug (rethrown as is, so the API answers 500 and logs its cause).
 */
import { isSolanaError, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR } from '@solana/kit';
import { isSignerError, isTransientRpcError } from '@waiaas/solana-signer';
import { TransferEngineError } from './errors.js';

const JSON_RPC_SERVER_ERROR_MIN = -32099;
const JSON_RPC_SERVER_ERROR_MAX = -32000;

/** True when an RPC read failed because the node could not be reached or could not answer. */
export function isRpcOutage(e: unknown): boolean {
  if (isTransientRpcError(e) || isSolanaError(e, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR))
    return true;
  // A JSON-RPC "server error" (-32000..-32099: node behind, unhealthy, ...) is the node's
  // trouble, not the request's.
  if (isSolanaError(e)) {
    const code = e.context.__code;
    return code >= JSON_RPC_SERVER_ERROR_MIN && code <= JSON_RPC_SERVER_ERROR_MAX;
  }
  return false;
}

/** Maps a failed chain read (blockhash, mint, recipient account) to the engine's codes. */
export function chainReadError(e: unknown, mint?: string): unknown {
  if (isSignerError(e, 'MINT_NOT_FOUND') || isSignerError(e, 'MINT_INVALID')) {
    return new TransferEngineError(
      'MINT_NOT_FOUND',
      `${mint ?? 'the mint'} is not a mint on this cluster`,
      { issues: [{ path: 'mint', code: e.code, message: e.message }] },
      { cause: e },
    );
  }
  if (isRpcOutage(e)) {
    return new TransferEngineError(
      'RPC_UNAVAILABLE',
      'Could not read from the Solana RPC; nothing was signed or stored',
      {},
      { cause: e },
    );
  }
  return e;
}

/**
 * Maps a build failure. The build reads nothing from the chain (every fact was fetched before
 * the lock), so a SignerError or a kit error here is about the request itself: 400.
 */
export function buildError(e: unknown): unknown {
  if (
    isSignerError(e, 'RECIPIENT_IS_SENDER') ||
    isSignerError(e, 'RECIPIENT_IS_PROGRAM') ||
    isSignerError(e, 'RECIPIENT_BELOW_RENT_EXEMPTION')
  ) {
    return new TransferEngineError(
      e.code,
      e.message,
      { issues: [{ path: 'to', code: e.code, message: e.message }] },
      { cause: e },
    );
  }
  if (isSignerError(e, 'INSUFFICIENT_FUNDS')) {
    return new TransferEngineError(
      'INSUFFICIENT_FUNDS',
      `The wallet cannot pay this transfer: ${e.message}`,
      {
        issues: [{ path: 'amount', code: e.code, message: e.message }],
        context: { ...e.context },
      },
      { cause: e },
    );
  }
  if (isSignerError(e, 'MINT_NOT_FOUND') || isSignerError(e, 'MINT_INVALID'))
    return chainReadError(e);
  if (isSignerError(e, 'INVALID_TRANSFER') || isSignerError(e, 'AMOUNT_OUT_OF_RANGE')) {
    return new TransferEngineError('TRANSFER_INVALID', e.message, {}, { cause: e });
  }
  if (isRpcOutage(e)) return chainReadError(e);
  if (isSolanaError(e)) {
    // kit refused to compile the message (e.g. a memo that makes it exceed the size limit).
    return new TransferEngineError(
      'TRANSFER_INVALID',
      `The transfer cannot be built: ${e.message}`,
      {},
      { cause: e },
    );
  }
  return e;
}

/** Maps a custody failure: unreachable/throttled/timed out → 503, anything else → 502. */
export function custodyError(e: unknown): TransferEngineError {
  if (
    isSignerError(e, 'CUSTODY_UNAVAILABLE') ||
    isSignerError(e, 'CUSTODY_RATE_LIMITED') ||
    isSignerError(e, 'CUSTODY_TIMEOUT')
  ) {
    return new TransferEngineError(
      'CUSTODY_UNAVAILABLE',
      'Key custody is unavailable; nothing was signed or stored',
      {},
      { cause: e },
    );
  }
  return new TransferEngineError(
    'CUSTODY_SIGNING_FAILED',
    'Key custody could not sign; nothing was stored',
    {},
    { cause: e },
  );
}
