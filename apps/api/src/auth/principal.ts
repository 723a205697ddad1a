/**
 * Who is calling. Resolved once per request by the global auth guard. `generation` is the
 * owner's access generation read when the request was authenticated: cached access data
 * (wallets, grants) is used only if it was filled under it. Undefined when Redis cannot be
 * reached: then nothing cached may be trusted and the database answers.
 */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'owner'; ownerId: string; generation?: string }
  | {
      kind: 'agent';
      agentId: string;
      ownerId: string;
      generation?: string;
      /** The agent key this request authenticated with. */
      keyId: string;
      /** What the key may do (see {@link AgentScope}). */
      scopes: readonly AgentKeyScope[];
      /** The wallets the key is limited to, or null: every wallet granted to the agent. */
      walletIds: readonly string[] | null;
    };

/** What an agent key may do: read, evaluate (dry-run transfers), transfer (move money). */
export const AGENT_KEY_SCOPES = ['read', 'evaluate', 'transfer'] as const;
export type AgentKeyScope = (typeof AGENT_KEY_SCOPES)[number];

export type PrincipalKind = Principal['kind'];
export type OwnerPrincipal = Extract<Principal, { kind: 'owner' }>;
export type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;
export type OwnerOrAgent = OwnerPrincipal | AgentPrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
