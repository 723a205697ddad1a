-- The kill switch: an owner freezes one wallet, one agent or everything they own; the operator
-- freezes the whole service. A freeze is a timestamp (frozen_at, null when not frozen) on the
-- row it applies to; the service's lives in a one-row table.
--
-- Reservations read the freeze state inside their wallet-locking statement through
-- freeze_scope() below, and every freeze also writes (a new version of) each wallet row in its
-- scope, so a reservation that waited for that row lock re-evaluates the statement with the
-- freeze visible (see docs/decisions/freeze-serialises-on-the-wallet-lock.md).

-- AlterTable
ALTER TABLE "owners" ADD COLUMN "frozen_at" TIMESTAMPTZ(3);
ALTER TABLE "agents" ADD COLUMN "frozen_at" TIMESTAMPTZ(3);
ALTER TABLE "wallets" ADD COLUMN "frozen_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "service_state" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "frozen_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "service_state_pkey" PRIMARY KEY ("id")
);

-- Exactly one row: the service's own state.
ALTER TABLE "service_state" ADD CONSTRAINT "service_state_single_row" CHECK ("id");
INSERT INTO "service_state" ("id") VALUES (true);

-- Which freeze, if any, stops a transfer of p_agent (null: none) from wallet p_wallet right now:
-- 'SERVICE', 'OWNER', 'WALLET' or 'AGENT' (in that order of precedence), or null.
--
-- VOLATILE and PL/pgSQL on purpose: under READ COMMITTED a volatile function takes a fresh
-- snapshot for each query it runs (a SQL function could be inlined into the caller's snapshot),
-- so when the calling statement is re-evaluated after waiting for a wallet row lock a freeze
-- wrote, this sees the freeze that committed meanwhile.
CREATE FUNCTION "freeze_scope"(p_wallet uuid, p_agent uuid) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  scope text;
BEGIN
  SELECT CASE
           WHEN s."frozen_at" IS NOT NULL THEN 'SERVICE'
           WHEN o."frozen_at" IS NOT NULL THEN 'OWNER'
           WHEN w."frozen_at" IS NOT NULL THEN 'WALLET'
           WHEN a."frozen_at" IS NOT NULL THEN 'AGENT'
         END
    INTO scope
    FROM "wallets" w
    JOIN "owners" o ON o."id" = w."owner_id"
    LEFT JOIN "service_state" s ON s."id"
    LEFT JOIN "agents" a ON a."id" = p_agent
   WHERE w."id" = p_wallet;
  RETURN scope;
END;
$$;
