import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation, OwnerRepository } from '@waiaas/database';
import { actorOf } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import {
  type CreatedOwnerDto,
  type CreateOwnerDto,
  type OwnerResponseDto,
  toOwnerDto,
  type UpdateOwnerDto,
} from './owner.dto.js';

@Injectable()
export class OwnerService {
  constructor(
    @Inject(OwnerRepository) private readonly owners: OwnerRepository,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async create(principal: Principal, dto: CreateOwnerDto): Promise<CreatedOwnerDto> {
    const apiKey = generateApiKey('owner');
    try {
      const owner = await this.owners.create(
        { email: dto.email.toLowerCase(), name: dto.name ?? null, apiKeyHash: hashApiKey(apiKey) },
        actorOf(principal),
      );
      return { owner: toOwnerDto(owner), apiKey };
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ApiError('EMAIL_TAKEN', `An owner with email ${dto.email} exists`);
      throw e;
    }
  }

  /** A new key for the calling owner; the old one is refused at once, on every instance. */
  async rotateKey(principal: OwnerPrincipal): Promise<CreatedOwnerDto> {
    const apiKey = generateApiKey('owner');
    const rotated = await this.owners.rotateKey(
      principal.ownerId,
      hashApiKey(apiKey),
      actorOf(principal),
    );
    if (rotated === null) throw new ApiError('INVALID_API_KEY');
    await this.auth.invalidateAccess(principal.ownerId, { owner: [rotated.retiredHash] });
    return { owner: toOwnerDto(rotated.owner), apiKey };
  }

  /**
   * The operator revokes an owner (final): its key and every one of its agents' keys are
   * refused at once, on every instance. Setting the status it already has changes nothing.
   */
  async update(
    principal: Principal,
    ownerId: string,
    dto: UpdateOwnerDto,
  ): Promise<OwnerResponseDto> {
    const change = await this.owners.setStatus(ownerId, dto.status, actorOf(principal));
    switch (change.kind) {
      case 'not_found':
        throw new ApiError('NOT_FOUND', 'Owner not found');
      case 'final':
        throw new ApiError('OWNER_REVOKED_FINAL', 'A revoked owner cannot be reactivated');
      case 'unchanged':
        return { owner: toOwnerDto(change.owner) };
      case 'revoked':
        await this.auth.invalidateAccess(ownerId, change.retired);
        return { owner: toOwnerDto(change.owner) };
    }
  }
}
