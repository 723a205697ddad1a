import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation, type PrismaClient } from '@waiaas/database';
import { AuditService } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerPrincipal, Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { PRISMA } from '../infra/tokens.js';
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
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async create(principal: Principal, dto: CreateOwnerDto): Promise<CreatedOwnerDto> {
    const apiKey = generateApiKey('owner');
    try {
      const owner = await this.prisma.$transaction(async (tx) => {
        const row = await tx.owner.create({
          data: {
            email: dto.email.toLowerCase(),
            name: dto.name ?? null,
            apiKeyHash: hashApiKey(apiKey),
          },
        });
        await this.audit.record(
          principal,
          { type: 'owner.created', ownerId: row.id, payload: { email: row.email } },
          tx,
        );
        return row;
      });
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
    let retired = '';
    const owner = await this.prisma.$transaction(async (tx) => {
      // Locked, so a concurrent revocation either happens first (and this is refused) or after.
      const rows = await tx.$queryRaw<{ status: string; api_key_hash: string }[]>`
        SELECT status::text AS status, api_key_hash FROM owners WHERE id = ${principal.ownerId}::uuid FOR UPDATE`;
      const current = rows[0];
      if (current?.status !== 'ACTIVE') throw new ApiError('INVALID_API_KEY');
      retired = current.api_key_hash;
      const row = await tx.owner.update({
        where: { id: principal.ownerId },
        data: { apiKeyHash: hashApiKey(apiKey) },
      });
      await this.audit.record(
        principal,
        { type: 'owner.key_rotated', ownerId: principal.ownerId },
        tx,
      );
      return row;
    });
    await this.auth.invalidateAccess(principal.ownerId, { owner: [retired] });
    return { owner: toOwnerDto(owner), apiKey };
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
    let retired: { owner: string[]; agent: string[] } | undefined;
    const owner = await this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ status: string; api_key_hash: string }[]>`
        SELECT status::text AS status, api_key_hash FROM owners WHERE id = ${ownerId}::uuid FOR UPDATE`;
      const current = rows[0];
      if (current === undefined) throw new ApiError('NOT_FOUND', 'Owner not found');
      if (current.status === dto.status)
        return tx.owner.findUniqueOrThrow({ where: { id: ownerId } });
      if (current.status === 'REVOKED')
        throw new ApiError('OWNER_REVOKED_FINAL', 'A revoked owner cannot be reactivated');
      const row = await tx.owner.update({ where: { id: ownerId }, data: { status: 'REVOKED' } });
      const agents = await tx.agent.findMany({ where: { ownerId }, select: { apiKeyHash: true } });
      await this.audit.record(principal, { type: 'owner.revoked', ownerId }, tx);
      retired = { owner: [current.api_key_hash], agent: agents.map((a) => a.apiKeyHash) };
      return row;
    });
    if (retired !== undefined) await this.auth.invalidateAccess(ownerId, retired);
    return { owner: toOwnerDto(owner) };
  }
}
