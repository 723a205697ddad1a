-- Approvals expire: an AWAITING_APPROVAL transfer the owner does not decide before its
-- expires_at becomes EXPIRED (the confirmation worker's sweep), a final status that, like
-- FAILED and REJECTED, no longer counts against the wallet's limits.

-- AlterEnum
ALTER TYPE "TxStatus" ADD VALUE 'EXPIRED';

-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "expires_at" TIMESTAMPTZ(3);

-- The spend buckets stop counting an EXPIRED transaction as they do a FAILED or REJECTED one.
-- Statuses are compared as text: the new enum value cannot be used as such in the transaction
-- that adds it, and the text comparison works the same afterwards.
CREATE OR REPLACE FUNCTION "spend_buckets_apply"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_counts boolean := TG_OP <> 'INSERT' AND OLD.status::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED');
  new_counts boolean := TG_OP <> 'DELETE' AND NEW.status::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED');
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
