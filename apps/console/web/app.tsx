import type { ConsoleSession, ConsoleSettings } from '@waiaas/client';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Link, Route, Router, Switch } from 'wouter-preact';
import { describeError, isSessionEnded, resumeSession, sessionClient } from './api.js';
import { Console } from './context.js';
import { usePolling } from './hooks.js';
import { Agents } from './pages/agents.js';
import { Approvals } from './pages/approvals.js';
import { Overview } from './pages/overview.js';
import { SignIn } from './pages/sign-in.js';
import { WalletPage } from './pages/wallet.js';
import { WebhookPage } from './pages/webhook.js';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; session: ConsoleSession; settings: ConsoleSettings }
  | { kind: 'error'; message: string };

/** The console: resumes the cookie's session on load, else shows the sign-in form. */
export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const enter = useCallback(async (session: ConsoleSession) => {
    const { settings } = await sessionClient(session).client.getConsoleSettings();
    setState({ kind: 'signed-in', session, settings });
  }, []);

  useEffect(() => {
    resumeSession()
      .then((session) => (session === null ? setState({ kind: 'signed-out' }) : enter(session)))
      .catch((e: unknown) => setState({ kind: 'error', message: describeError(e) }));
  }, [enter]);

  if (state.kind === 'loading') return <p class="center muted">Loading…</p>;
  if (state.kind === 'error') return <p class="center error">{state.message}</p>;
  if (state.kind === 'signed-out')
    return <SignIn notice={state.notice} onSignedIn={(session) => enter(session)} />;
  return (
    <Shell
      session={state.session}
      settings={state.settings}
      onSignedOut={(notice) => setState({ kind: 'signed-out', notice })}
    />
  );
}

function Shell(props: {
  session: ConsoleSession;
  settings: ConsoleSettings;
  onSignedOut: (notice?: string) => void;
}) {
  const connection = useMemo(() => sessionClient(props.session), [props.session]);
  const client = connection.client;
  const [leaving, setLeaving] = useState(false);
  const approvals = usePolling(
    () => client.listOwnerTransactions({ status: 'AWAITING_APPROVAL', limit: 100 }),
    [client],
    3000,
  );
  const { onSignedOut } = props;
  useEffect(() => {
    if (isSessionEnded(approvals.error)) onSignedOut('Your session has ended. Sign in again.');
  }, [approvals.error, onSignedOut]);

  const context = useMemo(
    () => ({ client, settings: props.settings, refreshApprovals: () => void approvals.reload() }),
    [client, props.settings, approvals.reload],
  );
  const pending = approvals.data?.transactions.length;

  async function signOut() {
    setLeaving(true); // unmounts the pages (their polls stop)
    try {
      await connection.signOut();
    } finally {
      onSignedOut('Signed out.');
    }
  }

  if (leaving) return <p class="center muted">Signing out…</p>;

  return (
    <Console.Provider value={context}>
      <Router base="/console">
        <header class="topbar">
          <Link href="/" class="brand">
            WAIaaS
          </Link>
          <nav aria-label="Main">
            <Link href="/">Overview</Link>
            <Link href="/approvals">
              Approvals
              {pending !== undefined && pending > 0 && (
                <span class="badge" aria-label={`${pending} awaiting`}>
                  {pending}
                </span>
              )}
            </Link>
            <Link href="/agents">Agents</Link>
            <Link href="/webhook">Webhook</Link>
          </nav>
          <button type="button" class="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </header>
        <main>
          <Switch>
            <Route path="/">
              <Overview pendingApprovals={pending} />
            </Route>
            <Route path="/approvals" component={Approvals} />
            <Route path="/wallets/:id">{(params) => <WalletPage id={params.id} />}</Route>
            <Route path="/agents" component={Agents} />
            <Route path="/webhook" component={WebhookPage} />
            <Route>
              <p>
                No such page. <Link href="/">Back to the overview</Link>
              </p>
            </Route>
          </Switch>
        </main>
      </Router>
    </Console.Provider>
  );
}
