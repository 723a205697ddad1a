import { Inject, Injectable } from '@nestjs/common';
import { AgentKeyRepository } from '@waiaas/database';
import { isPolicyEngineError, parseLimit, SOL_DECIMALS } from '@waiaas/policy-engine';
import { AuditService } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CLOCK } from '../infra/tokens.js';
import {
  AGENT_KEY_MAX_LIFETIME_DAYS,
  type AgentKeyListDto,
  type AgentKeyWithSecretDto,
  type CreateAgentKeyDto,
  toAgentKeyDto,
} from './agent-key.dto.js';

const DAY_MS = 86_400_000;

/** A daily cap as written (SOL, decimal string) in lamports; a malformed one is a 400. */
function parseCap(text: string): bigint {
  try {
    return parseLimit(text, SOL_DECIMALS);
  } catch (e) {
    if (!isPolicyEngineError(e)) throw e;
    throw new ApiError('VALIDATION_FAILED', 'dailyCap is not a valid SOL amount', {
      errors: [{ path: 'dailyCap', code: e.code, message: e.message }],
    });
  }
}

/** An owner's scoped, expiring keys for its agents: create (secret shown once), list, revoke. */
@Injectable()
export class AgentKeyService {
  constructor(
    @Inject(AgentKeyRepository) private readonly keys: AgentKeyRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CLOCK) private readonly clock: () => number,
  ) {}

  async create(
    principal: OwnerPrincipal,
    agentId: string,
    dto: CreateAgentKeyDto,
  ): Promise<AgentKeyWithSecretDto> {
    const expiresAt = this.expiry(dto.expiresAt);
    const dailyCap = dto.dailyCap === undefined ? null : parseCap(dto.dailyCap);
    const apiKey = generateApiKey('agent');
    const result = await this.keys.create(
      {
        ownerId: principal.ownerId,
        agentId,
        name: dto.name,
        keyHash: hashApiKey(apiKey),
        scopes: dto.scopes,
        walletIds: dto.walletIds ?? null,
        expiresAt,
        dailyCap,
      },
      (row, tx) =>
        this.audit.record(
          principal,
          {
            type: 'agent.key_created',
            ownerId: principal.ownerId,
            payload: {
              agentId,
              keyId: row.id,
              name: row.name,
              scopes: row.scopes,
              walletIds: row.walletIds,
              expiresAt: expiresAt.toISOString(),
              dailyCap: dto.dailyCap ?? null,
            },
          },
          tx,
        ),
    );
    if ('refused' in result) {
      if (result.refused === 'AGENT_NOT_FOUND') throw new ApiError('NOT_FOUND', 'Agent not found');
      if (result.refused === 'AGENT_REVOKED')
        throw new ApiError('AGENT_REVOKED_FINAL', 'A revoked agent cannot get a new key');
      throw new ApiError('VALIDATION_FAILED', 'walletIds names wallets the owner does not have', {
        errors: result.walletIds.map((id) => ({
          path: 'walletIds',
          code: 'walletNotFound',
          message: `wallet ${id} is not one of the owner's wallets`,
        })),
      });
    }
    // A new key's hash was never looked up, so no cache holds anything about it: nothing to drop.
    return { key: toAgentKeyDto(result, this.clock()), apiKey };
  }

  async list(principal: OwnerPrincipal, agentId: string): Promise<AgentKeyListDto> {
    const rows = await this.keys.listForAgent(principal.ownerId, agentId);
    if (rows === null) throw new ApiError('NOT_FOUND', 'Agent not found');
    const now = this.clock();
    return { keys: rows.map((row) => toAgentKeyDto(row, now)) };
  }

  async revoke(principal: OwnerPrincipal, agentId: string, keyId: string): Promise<void> {
    const result = await this.keys.revoke(principal.ownerId, agentId, keyId, (row, tx) =>
      this.audit.record(
        principal,
        {
          type: 'agent.key_revoked',
          ownerId: principal.ownerId,
          payload: { agentId, keyId: row.id, name: row.name, primary: row.primary },
        },
        tx,
      ),
    );
    if (result === null) throw new ApiError('NOT_FOUND', 'Key not found');
    // After commit, on every instance: the next request with the key is refused, and its
    // mapping is dropped so it costs what an unknown key costs.
    if (result.changed)
      await this.auth.invalidateAccess(principal.ownerId, { agent: [result.row.keyHash] });
  }

  /** The requested expiry, if in the future and within the longest lifetime. */
  private expiry(value: string): Date {
    const expiresAt = new Date(value);
    const now = this.clock();
    const refuse = (code: string, message: string): never => {
      throw new ApiError('VALIDATION_FAILED', message, {
        errors: [{ path: 'expiresAt', code, message }],
      });
    };
    if (Number.isNaN(expiresAt.getTime())) refuse('isISO8601', 'expiresAt must be a date-time');
    if (expiresAt.getTime() <= now) refuse('inFuture', 'expiresAt must be in the future');
    if (expiresAt.getTime() > now + AGENT_KEY_MAX_LIFETIME_DAYS * DAY_MS)
      refuse('maxLifetime', `expiresAt must be at most ${AGENT_KEY_MAX_LIFETIME_DAYS} days ahead`);
    return expiresAt;
  }
}
