/** Who is calling. Resolved once per request by the global auth guard. */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'owner'; ownerId: string }
  | { kind: 'agent'; agentId: string; ownerId: string };

export type PrincipalKind = Principal['kind'];
export type OwnerPrincipal = Extract<Principal, { kind: 'owner' }>;
export type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;
export type OwnerOrAgent = OwnerPrincipal | AgentPrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
