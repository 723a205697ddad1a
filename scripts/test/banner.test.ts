import { describe, expect, it } from '@jest/globals';
import { type BannerInfo, renderBanner } from '../lib/banner.js';
import { DEMO_POLICY } from '../lib/demo-setup.js';

const info: BannerInfo = {
  apiUrl: 'http://127.0.0.1:3000',
  rpcUrl: 'http://127.0.0.1:8899',
  localLedger: true,
  postgres: 'embedded, 127.0.0.1:54329',
  adminToken: 'waiaas_admin_0123456789abcdef',
  adminTokenFile: '/home/me/.waiaas/admin-token',
  demo: {
    created: true,
    file: '/home/me/.waiaas/demo-credentials.json',
    credentials: {
      createdAt: '2026-12-02T00:00:00.000Z',
      apiUrl: 'http://127.0.0.1:3000',
      owner: { id: 'o1', email: 'demo@waiaas.local', apiKey: 'wa_owner_secret' },
      agent: { id: 'a1', name: 'demo-agent', apiKey: 'wa_agent_secret' },
      wallet: { id: 'w1', address: 'Wa11et1111111111111111111111111111111111111' },
      recipient: 'Rec1pient11111111111111111111111111111111111',
      policy: DEMO_POLICY,
    },
  },
  readyInMs: 7_400,
  phases: [
    ['build', 800],
    ['api', 4_100],
  ],
};
const secrets = ['waiaas_admin_0123456789abcdef', 'wa_owner_secret', 'wa_agent_secret'];

describe('the start banner', () => {
  it('shows the operator token and the new demo keys on a terminal', () => {
    const banner = renderBanner(info, { showSecrets: true });
    for (const secret of secrets) expect(banner).toContain(secret);
    expect(banner).toContain('ready in 7.4 s');
    expect(banner).toContain('build 0.8 s · api 4.1 s');
  });

  it('names only the files that hold them otherwise', () => {
    const banner = renderBanner(info, { showSecrets: false });
    for (const secret of secrets) expect(banner).not.toContain(secret);
    expect(banner).toContain('Operator token  in /home/me/.waiaas/admin-token (mode 0600)');
    expect(banner).toContain(
      'owner and agent keys are in /home/me/.waiaas/demo-credentials.json (mode 0600)',
    );
    // The suggested curl reads the key from the file instead of printing it.
    expect(banner).toContain(
      `$(node -p "require('/home/me/.waiaas/demo-credentials.json').agent.apiKey")`,
    );
  });

  it('never echoes an ADMIN_TOKEN given in the environment into redirected output', () => {
    const { adminTokenFile: _file, ...fromEnv } = info;
    expect(renderBanner(fromEnv, { showSecrets: false })).toContain(
      'Operator token  (ADMIN_TOKEN)',
    );
    expect(renderBanner(fromEnv, { showSecrets: false })).not.toContain(info.adminToken);
  });

  it('lists the console right after the API docs once it has a URL', () => {
    const lines = renderBanner(
      { ...info, consoleUrl: 'http://127.0.0.1:3000/console' },
      { showSecrets: false },
    ).split('\n');
    const docs = lines.findIndex((l) => l.includes('API docs'));
    expect(lines[docs + 1]).toBe('  Console         http://127.0.0.1:3000/console');
  });
});
