/**
 * The banner `pnpm start` prints once everything is ready: every URL and file a user needs.
 *
 * Secrets (the operator token, the demo owner and agent keys) appear only when
 * `showSecrets` is set, which `pnpm start` does only when its standard output is a
 * terminal: redirected output ends up in log files, CI logs and log shippers, so there the
 * banner names the files that hold them (mode 0600) instead.
 */
import type { DemoSetupResult } from './demo-setup.js';
import { seconds } from './supervisor.js';

export interface BannerInfo {
  apiUrl: string;
  /** The owner console the API serves (listed right after the API docs). */
  consoleUrl?: string;
  rpcUrl: string;
  localLedger: boolean;
  /** One line on where PostgreSQL is. */
  postgres: string;
  adminToken: string;
  /** The file the operator token is saved in; undefined when it came from ADMIN_TOKEN. */
  adminTokenFile?: string;
  demo: DemoSetupResult | null;
  /** From `pnpm start` to ready, and each phase's own duration. */
  readyInMs: number;
  phases: [string, number][];
}

/**
 * @example
 * process.stdout.write(renderBanner(info, { showSecrets: process.stdout.isTTY === true }));
 */
export function renderBanner(o: BannerInfo, { showSecrets }: { showSecrets: boolean }): string {
  const lines = [
    '',
    `  WAIaaS is running (ready in ${seconds(o.readyInMs)}). Ctrl-C stops everything.`,
    `  ${o.phases.map(([name, ms]) => `${name} ${seconds(ms)}`).join(' · ')}`,
    '',
    `  API             ${o.apiUrl}`,
    `  API docs        ${o.apiUrl}/docs   (OpenAPI JSON: ${o.apiUrl}/docs/json)`,
  ];
  if (o.consoleUrl !== undefined) lines.push(`  Console         ${o.consoleUrl}`);
  lines.push(
    `  Solana RPC      ${o.rpcUrl}${o.localLedger ? '   (local ledger, in memory: reset on every start)' : ''}`,
    `  PostgreSQL      ${o.postgres}`,
  );
  if (o.adminTokenFile === undefined) {
    lines.push(`  Operator token  ${showSecrets ? `${o.adminToken}   ` : ''}(ADMIN_TOKEN)`);
  } else if (showSecrets) {
    lines.push(`  Operator token  ${o.adminToken}   (saved in ${o.adminTokenFile})`);
  } else {
    lines.push(`  Operator token  in ${o.adminTokenFile} (mode 0600)`);
  }
  const d = o.demo;
  if (d !== null) {
    const c = d.credentials;
    lines.push('');
    if (d.created && showSecrets) {
      lines.push(
        '  Demo (created now; the keys are shown once and saved, mode 0600, in',
        `        ${d.file})`,
        `  Owner key       ${c.owner.apiKey}`,
        `  Agent key       ${c.agent.apiKey}`,
      );
    } else {
      lines.push(
        `  Demo            ${d.created ? 'created now' : 'reused'}: owner and agent keys are in ${d.file} (mode 0600)`,
      );
    }
    const agentKey =
      showSecrets && d.created ? c.agent.apiKey : `$(node -p "require('${d.file}').agent.apiKey")`;
    lines.push(
      `  Demo wallet     ${c.wallet.address}   (id ${c.wallet.id})`,
      `  Policy          ≤ ${c.policy.metadata?.approvalThreshold ?? '?'} SOL sent at once, up to ${c.policy.perTxLimit} SOL with owner approval, ${c.policy.dailyLimit} SOL a day`,
      '',
      '  Try a transfer:',
      `  curl -sS -X POST ${o.apiUrl}/v1/wallets/${c.wallet.id}/transfers -H "Authorization: Bearer ${agentKey}" -H "Idempotency-Key: $(date +%s%N)" -H "Content-Type: application/json" -d '{"to":"${c.recipient}","amount":"0.1"}'`,
      '',
      `  Then the whole journey: pnpm demo   (examples/agent-demo.ts)`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
