#!/usr/bin/env node
/**
 * `waiaas-ledger`: runs the local Solana ledger until interrupted.
 *
 *   waiaas-ledger [--port 8899] [--host 127.0.0.1] [--slot-ms 400]
 *                 [--confirmation-depth 1] [--finalization-depth 32]
 *                 [--drop-rate 0] [--latency-ms 0] [--error-rate 0] [--error-mode http|rpc] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { isLocalLedgerError } from './errors.js';
import { startLocalLedger, type FaultOptions } from './local-ledger.js';

const USAGE = `Usage: waiaas-ledger [options]

  --port <n>                TCP port (default 8899)
  --host <addr>             interface to listen on (default 127.0.0.1)
  --slot-ms <n>             milliseconds per slot (default 400; 0 stops the clock)
  --confirmation-depth <n>  slots until a transaction is confirmed (default 1)
  --finalization-depth <n>  slots until a transaction is finalized (default 32)
  --drop-rate <0..1>        share of sendTransaction calls acknowledged but never landed
  --latency-ms <n>          latency added to every request
  --error-rate <0..1>       share of requests that fail
  --error-mode <http|rpc>   failures as HTTP 503 (default) or JSON-RPC -32005
  --seed <n>                seed of the fault-injection PRNG (default 1)
  -h, --help                show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'slot-ms': { type: 'string' },
      'confirmation-depth': { type: 'string' },
      'finalization-depth': { type: 'string' },
      'drop-rate': { type: 'string' },
      'latency-ms': { type: 'string' },
      'error-rate': { type: 'string' },
      'error-mode': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const num = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new Error(`--${name} must be a number, got "${value}"`);
    return n;
  };
  const errorMode = values['error-mode'];
  if (errorMode !== undefined && errorMode !== 'http' && errorMode !== 'rpc') {
    throw new Error(`--error-mode must be "http" or "rpc", got "${errorMode}"`);
  }
  const faults: FaultOptions = {
    dropRate: num('drop-rate', values['drop-rate']),
    latencyMs: num('latency-ms', values['latency-ms']),
    errorRate: num('error-rate', values['error-rate']),
    errorMode,
    seed: num('seed', values.seed),
  };
  const ledger = await startLocalLedger({
    port: num('port', values.port),
    host: values.host,
    slotMs: num('slot-ms', values['slot-ms']),
    confirmationDepth: num('confirmation-depth', values['confirmation-depth']),
    finalizationDepth: num('finalization-depth', values['finalization-depth']),
    faults,
  });
  process.stdout.write(`local Solana ledger listening on ${ledger.url} (slot ${ledger.slot})\n`);
  const stop = (): void => {
    void ledger.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  const message = isLocalLedgerError(e)
    ? `${e.code}: ${e.message}`
    : e instanceof Error
      ? e.message
      : String(e);
  process.stderr.write(`waiaas-ledger: ${message}\n\n${USAGE}`);
  process.exit(1);
});
