-- Scoped, expiring agent keys. Every agent keeps its primary key (agents.api_key_hash, issued
-- on creation and by rotate-key) as a row here with every scope and no expiry: the backfill
-- below turns each existing key into one, and a trigger keeps the row in step with
-- agents.api_key_hash from then on (a rotated-away primary key is marked revoked), so every
-- writer of agents keeps it right. Authentication reads this table only.
-- CreateEnum
CREATE TYPE "agent_key_scope" AS ENUM ('read', 'evaluate', 'transfer');

-- CreateTable
CREATE TABLE "agent_keys" (
    "id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "scopes" "agent_key_scope"[],
    "wallet_ids" UUID[],
    "primary" BOOLEAN NOT NULL DEFAULT false,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_keys_key_hash_key" ON "agent_keys"("key_hash");

-- CreateIndex
CREATE INDEX "agent_keys_agent_id_idx" ON "agent_keys"("agent_id");

-- AddForeignKey
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_scopes_not_empty"
    CHECK ("scopes" IS NOT NULL AND cardinality("scopes") > 0);
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_wallet_ids_not_null"
    CHECK ("wallet_ids" IS NOT NULL);
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_primary_never_expires"
    CHECK (NOT "primary" OR "expires_at" IS NULL);

-- At most one live primary key per agent.
CREATE UNIQUE INDEX "agent_keys_one_live_primary" ON "agent_keys"("agent_id")
    WHERE "primary" AND "revoked_at" IS NULL;

-- The existing keys, as primary keys with every scope.
INSERT INTO "agent_keys" ("id", "agent_id", "name", "key_hash", "scopes", "wallet_ids", "primary", "created_at")
SELECT gen_random_uuid(), a."id", 'primary', a."api_key_hash",
       ARRAY['read', 'evaluate', 'transfer']::"agent_key_scope"[], '{}', true, a."created_at"
FROM "agents" a;

CREATE FUNCTION agent_keys_follow_primary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW."api_key_hash" IS NOT DISTINCT FROM OLD."api_key_hash" THEN
            RETURN NEW;
        END IF;
        UPDATE "agent_keys" SET "revoked_at" = COALESCE("revoked_at", now())
        WHERE "key_hash" = OLD."api_key_hash";
    END IF;
    INSERT INTO "agent_keys" ("id", "agent_id", "name", "key_hash", "scopes", "wallet_ids", "primary")
    VALUES (gen_random_uuid(), NEW."id", 'primary', NEW."api_key_hash",
            ARRAY['read', 'evaluate', 'transfer']::"agent_key_scope"[], '{}', true);
    RETURN NEW;
END
$$;

CREATE TRIGGER "agents_primary_key" AFTER INSERT OR UPDATE OF "api_key_hash" ON "agents"
    FOR EACH ROW EXECUTE FUNCTION agent_keys_follow_primary();
