-- Per-key spend buckets, and the spend trigger called only when a row starts or stops counting.
--
-- - key_spend_buckets: what counts against a capped agent key's daily cap (SOL amounts plus every
--   network fee), per UTC hour and minute, as spend_buckets is per wallet. The cap's rolling 24
--   hours were summed from the key's transactions, a cost that grew with the key's volume;
--   they are now read as a wallet's window is (whole hours and minutes from the buckets, the
--   partial first minute from transactions). Only keys with a cap get buckets: a cap is fixed
--   when the key is created (a trigger below refuses to change it), so a capped key's buckets
--   hold every transfer it ever made and an uncapped key never needs any.
-- - The spend trigger ran for every UPDATE of transactions and returned at once for all but a
--   few (the worker's PENDING → SUBMITTED → CONFIRMED keep counting the same). A WHEN clause
--   now skips the call; the function's own check stays, for INSERT/DELETE and as a guard.

-- CreateTable
CREATE TABLE "key_spend_buckets" (
    "agent_key_id" UUID NOT NULL,
    "width" SMALLINT NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "sol_amount" DECIMAL(38,0) NOT NULL,
    "fees" DECIMAL(38,0) NOT NULL,
    "tx_count" INTEGER NOT NULL,

    CONSTRAINT "key_spend_buckets_pkey" PRIMARY KEY ("agent_key_id","width","bucket_start")
);

-- AddForeignKey
ALTER TABLE "key_spend_buckets" ADD CONSTRAINT "key_spend_buckets_agent_key_id_fkey" FOREIGN KEY ("agent_key_id") REFERENCES "agent_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The statuses that no longer count, as in spend-accounting.ts (compared as text, as before).
CREATE OR REPLACE FUNCTION "spend_buckets_apply"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_counts boolean := TG_OP <> 'INSERT' AND OLD.status::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED');
  new_counts boolean := TG_OP <> 'DELETE' AND NEW.status::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED');
BEGIN
  IF old_counts AND new_counts
     AND NEW.wallet_id = OLD.wallet_id
     AND NEW.asset IS NOT DISTINCT FROM OLD.asset
     AND NEW.amount = OLD.amount
     AND NEW.network_fee = OLD.network_fee
     AND NEW.created_at = OLD.created_at
     AND NEW.agent_key_id IS NOT DISTINCT FROM OLD.agent_key_id THEN
    RETURN NULL; -- still counting the same (PENDING → SUBMITTED → CONFIRMED, approval)
  END IF;
  IF old_counts THEN
    UPDATE "spend_buckets"
       SET "amount" = "amount" - OLD.amount,
           "fees" = "fees" - OLD.network_fee,
           "tx_count" = "tx_count" - 1
     WHERE "wallet_id" = OLD.wallet_id
       AND "asset" = COALESCE(OLD.asset, '')
       AND (("width" = 3600 AND "bucket_start" = date_trunc('hour', OLD.created_at, 'UTC'))
         OR ("width" = 60 AND "bucket_start" = date_trunc('minute', OLD.created_at, 'UTC')));
    -- A key without a cap has no buckets (nothing matches).
    IF OLD.agent_key_id IS NOT NULL THEN
      UPDATE "key_spend_buckets"
         SET "sol_amount" = "sol_amount" - CASE WHEN OLD.asset IS NULL THEN OLD.amount ELSE 0 END,
             "fees" = "fees" - OLD.network_fee,
             "tx_count" = "tx_count" - 1
       WHERE "agent_key_id" = OLD.agent_key_id
         AND (("width" = 3600 AND "bucket_start" = date_trunc('hour', OLD.created_at, 'UTC'))
           OR ("width" = 60 AND "bucket_start" = date_trunc('minute', OLD.created_at, 'UTC')));
    END IF;
  END IF;
  IF new_counts THEN
    INSERT INTO "spend_buckets" ("wallet_id", "width", "bucket_start", "asset", "amount", "fees", "tx_count")
    VALUES (NEW.wallet_id, 3600, date_trunc('hour', NEW.created_at, 'UTC'), COALESCE(NEW.asset, ''),
            NEW.amount, NEW.network_fee, 1),
           (NEW.wallet_id, 60, date_trunc('minute', NEW.created_at, 'UTC'), COALESCE(NEW.asset, ''),
            NEW.amount, NEW.network_fee, 1)
    ON CONFLICT ("wallet_id", "width", "bucket_start", "asset") DO UPDATE
      SET "amount" = "spend_buckets"."amount" + EXCLUDED."amount",
          "fees" = "spend_buckets"."fees" + EXCLUDED."fees",
          "tx_count" = "spend_buckets"."tx_count" + 1;
    IF NEW.agent_key_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM "agent_keys" WHERE "id" = NEW.agent_key_id AND "daily_cap" IS NOT NULL) THEN
      INSERT INTO "key_spend_buckets" ("agent_key_id", "width", "bucket_start", "sol_amount", "fees", "tx_count")
      SELECT NEW.agent_key_id, w, date_trunc(CASE w WHEN 3600 THEN 'hour' ELSE 'minute' END, NEW.created_at, 'UTC'),
             CASE WHEN NEW.asset IS NULL THEN NEW.amount ELSE 0 END, NEW.network_fee, 1
      FROM (VALUES (3600), (60)) AS v(w)
      ON CONFLICT ("agent_key_id", "width", "bucket_start") DO UPDATE
        SET "sol_amount" = "key_spend_buckets"."sol_amount" + EXCLUDED."sol_amount",
            "fees" = "key_spend_buckets"."fees" + EXCLUDED."fees",
            "tx_count" = "key_spend_buckets"."tx_count" + 1;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;

-- Taken first: the lock the trigger DDL holds until this migration commits keeps every write to
-- transactions out, so the backfill below and the new trigger see the same rows, once each.
DROP TRIGGER "transactions_spend_buckets" ON "transactions";
CREATE TRIGGER "transactions_spend_buckets"
  AFTER INSERT OR DELETE ON "transactions"
  FOR EACH ROW EXECUTE FUNCTION "spend_buckets_apply"();
CREATE TRIGGER "transactions_spend_buckets_update"
  AFTER UPDATE ON "transactions"
  FOR EACH ROW
  WHEN ((OLD.status::text IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'))
          IS DISTINCT FROM (NEW.status::text IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'))
        OR OLD.wallet_id IS DISTINCT FROM NEW.wallet_id
        OR OLD.asset IS DISTINCT FROM NEW.asset
        OR OLD.amount IS DISTINCT FROM NEW.amount
        OR OLD.network_fee IS DISTINCT FROM NEW.network_fee
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.agent_key_id IS DISTINCT FROM NEW.agent_key_id)
  EXECUTE FUNCTION "spend_buckets_apply"();

INSERT INTO "key_spend_buckets" ("agent_key_id", "width", "bucket_start", "sol_amount", "fees", "tx_count")
SELECT t."agent_key_id", w.width,
       CASE w.width WHEN 3600 THEN date_trunc('hour', t."created_at", 'UTC')
                    ELSE date_trunc('minute', t."created_at", 'UTC') END,
       SUM(CASE WHEN t."asset" IS NULL THEN t."amount" ELSE 0 END), SUM(t."network_fee"), COUNT(*)
  FROM "transactions" t
  JOIN "agent_keys" k ON k."id" = t."agent_key_id" AND k."daily_cap" IS NOT NULL
  CROSS JOIN (VALUES (3600), (60)) AS w(width)
 WHERE t."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
 GROUP BY 1, 2, 3;

-- The buckets above assume a key's cap never changes (set at creation or never).
CREATE FUNCTION "agent_keys_daily_cap_fixed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an agent key''s daily cap is fixed when the key is created'
    USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER "agent_keys_daily_cap_fixed"
  BEFORE UPDATE OF "daily_cap" ON "agent_keys"
  FOR EACH ROW
  WHEN (OLD.daily_cap IS DISTINCT FROM NEW.daily_cap)
  EXECUTE FUNCTION "agent_keys_daily_cap_fixed"();
