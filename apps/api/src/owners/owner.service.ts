import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation, type PrismaClient } from '@waiaas/database';
import { AuditService } from '../audit/audit.service.js';
import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { PRISMA } from '../infra/tokens.js';
import { type CreatedOwnerDto, type CreateOwnerDto, toOwnerDto } from './owner.dto.js';

@Injectable()
export class OwnerService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AuditService) private readonly audit: AuditService,
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
}
