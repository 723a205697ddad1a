/**
 * Who is calling. Resolved once per request by the global auth guard. `generation` is the
 * owner's access generation read when the request was authenticated: cached access data
 * (wallets, grants) is used only if it was filled under it. Undefined when Redis cannot be
 * reached: then nothing cached may be trusted and the database answers.
 */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'owner'; ownerId: string; generation?: string }
  | { kind: 'agent'; agentId: string; ownerId: string; generation?: string };

export type PrincipalKind = Principal['kind'];
export type OwnerPrincipal = Extract<Principal, { kind: 'owner' }>;
export type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;
export type OwnerOrAgent = OwnerPrincipal | AgentPrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
