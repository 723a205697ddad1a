-- The design document's GIN index over the policy's allowed programs, for "which wallets may
-- call program X" look-ups. The rule's key is `allowedPrograms`, the name the policy engine
-- reads and writes (an index on a key that is never written would serve nothing).
-- Expression indexes cannot be declared in schema.prisma; listed in prisma/migration-only.json.
CREATE INDEX "idx_policy_metadata_type"
  ON "wallet_policies" USING GIN (("metadata" -> 'allowedPrograms'));
