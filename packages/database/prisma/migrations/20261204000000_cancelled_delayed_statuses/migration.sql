-- Two statuses the owner's controls need:
-- - DELAYED: a transfer above the policy's delay threshold waits out its cool-down before it is
--   signed. Like AWAITING_APPROVAL it holds its budget while it waits.
-- - CANCELLED: stopped before it was ever broadcast (the owner cancelled a delayed transfer, or a
--   freeze cancelled waiting and unsent ones). A final status that, like FAILED, REJECTED and
--   EXPIRED, no longer counts against the wallet's limits.

-- AlterEnum
ALTER TYPE "TxStatus" ADD VALUE 'DELAYED';
ALTER TYPE "TxStatus" ADD VALUE 'CANCELLED';

-- The spend buckets stop counting a CANCELLED transaction (DELAYED keeps counting). Statuses are
-- compared as text: new enum values cannot be used as such in the transaction that adds them.
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
     AND NEW.created_at = OLD.created_at THEN
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
  END IF;
  RETURN NULL;
END;
$$;
