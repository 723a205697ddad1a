/**
 * The local ledger in its own process for the bench, so the ledger's work (LiteSVM execution,
 * JSON-RPC encoding) does not share an event loop with the worker being measured. Prints its
 * URL, then obeys stdin lines: `advance` (one slot) and `clock <ms>` (start advancing).
 */
import { createInterface } from 'node:readline';
import { startLocalLedger } from '@waiaas/local-ledger';

const ledger = await startLocalLedger({ port: 0, slotMs: 0 });
let clock: NodeJS.Timeout | undefined;
console.log(JSON.stringify({ url: ledger.url }));
for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.trim().split(' ');
  if (command === 'advance') ledger.advanceSlots(1);
  else if (command === 'clock') clock = setInterval(() => ledger.advanceSlots(1), Number(arg));
  else if (command === 'airdrop' && arg) await ledger.airdrop(arg as never, 100_000_000_000n);
  console.log(JSON.stringify({ ok: command }));
}
clearInterval(clock);
await ledger.close();
