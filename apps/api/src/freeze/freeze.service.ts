import { Inject, Injectable } from '@nestjs/common';
import { FreezeRepository, type FreezeTarget, isRepositoryError } from '@waiaas/database';
import { actorOf } from '../audit/audit.service.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CLOCK } from '../infra/tokens.js';
import { type FreezeResponseDto, toFreezeDto } from './freeze.dto.js';

/**
 * The kill switch. The freeze state lives in the database only (never in a process cache), and
 * transfers read it inside their wallet-locking statement, so a freeze takes effect on the next
 * request on every API instance and in the worker's next batch; see `FreezeRepository` for how
 * it serialises with transfers in flight.
 */
@Injectable()
export class FreezeService {
  constructor(
    @Inject(FreezeRepository) private readonly freezes: FreezeRepository,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CLOCK) private readonly clock: () => number,
  ) {}

  /** Freezes (`frozen`) or unfreezes one of the owner's wallets or agents, or all of it. */
  async setByOwner(
    principal: OwnerPrincipal,
    target: FreezeTarget & { scope: 'OWNER' | 'WALLET' | 'AGENT' },
    frozen: boolean,
  ): Promise<FreezeResponseDto> {
    const result = await this.run(target, actorOf(principal), frozen);
    // The wallet read is cached under the owner's access generation: show the new state at once.
    if (result.freeze.changed) await this.auth.invalidateAccess(principal.ownerId);
    return result;
  }

  /** The operator's service-wide switch. */
  setService(principal: Principal, frozen: boolean): Promise<FreezeResponseDto> {
    return this.run({ scope: 'SERVICE' }, actorOf(principal), frozen);
  }

  /** Whether the service is frozen now. */
  async serviceState(): Promise<FreezeResponseDto> {
    const frozenAt = await this.freezes.serviceFrozenAt();
    return toFreezeDto({
      scope: 'SERVICE',
      frozen: frozenAt !== null,
      frozenAt,
      changed: false,
      cancelled: [],
      deliveries: 0,
    });
  }

  private async run(
    target: FreezeTarget,
    actor: ReturnType<typeof actorOf>,
    frozen: boolean,
  ): Promise<FreezeResponseDto> {
    const now = new Date(this.clock());
    try {
      const result = frozen
        ? await this.freezes.freeze(target, actor, now)
        : await this.freezes.unfreeze(target, actor, now);
      return toFreezeDto(result);
    } catch (e) {
      if (
        isRepositoryError(e, 'WALLET_NOT_FOUND') ||
        isRepositoryError(e, 'AGENT_NOT_FOUND') ||
        isRepositoryError(e, 'OWNER_NOT_FOUND')
      )
        throw new ApiError('NOT_FOUND', e.message, { cause: e });
      throw e;
    }
  }
}
