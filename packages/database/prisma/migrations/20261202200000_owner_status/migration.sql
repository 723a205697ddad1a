-- Owners can be revoked by the operator (their key and their agents' keys stop working at
-- once). Every existing owner stays ACTIVE; the default keeps the add non-blocking.
-- CreateEnum
CREATE TYPE "OwnerStatus" AS ENUM ('ACTIVE', 'REVOKED');

-- AlterTable
ALTER TABLE "owners" ADD COLUMN     "status" "OwnerStatus" NOT NULL DEFAULT 'ACTIVE';
