-- Spend buckets: what counts against a wallet's limits, per asset, per UTC hour and per UTC
-- minute (width 3600 and 60), kept by a
-- trigger so that every writer (the API's reservations and approvals, the worker's status
-- changes, anything else) keeps them exact in the same transaction as its change. A
-- transaction counts while its status is not FAILED or REJECTED: its amount in its asset
-- ('' = SOL) and its network fee.
-- CreateTable
CREATE TABLE "spend_buckets" (
    "wallet_id" UUID NOT NULL,
    "width" SMALLINT NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "asset" TEXT NOT NULL,
    "amount" DECIMAL(38,0) NOT NULL,
    "fees" DECIMAL(38,0) NOT NULL,
    "tx_count" INTEGER NOT NULL,

    CONSTRAINT "spend_buckets_pkey" PRIMARY KEY ("wallet_id","width","bucket_start","asset")
);

-- AddForeignKey
ALTER TABLE "spend_buckets" ADD CONSTRAINT "spend_buckets_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION "spend_buckets_apply"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_counts boolean := TG_OP <> 'INSERT' AND OLD.status NOT IN ('FAILED', 'REJECTED');
  new_counts boolean := TG_OP <> 'DELETE' AND NEW.status NOT IN ('FAILED', 'REJECTED');
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

CREATE TRIGGER "transactions_spend_buckets"
  AFTER INSERT OR UPDATE OR DELETE ON "transactions"
  FOR EACH ROW EXECUTE FUNCTION "spend_buckets_apply"();

-- Existing history.
INSERT INTO "spend_buckets" ("wallet_id", "width", "bucket_start", "asset", "amount", "fees", "tx_count")
SELECT "wallet_id", w.width,
       CASE w.width WHEN 3600 THEN date_trunc('hour', "created_at", 'UTC')
                    ELSE date_trunc('minute', "created_at", 'UTC') END,
       COALESCE("asset", ''), SUM("amount"), SUM("network_fee"), COUNT(*)
  FROM "transactions" CROSS JOIN (VALUES (3600), (60)) AS w(width)
 WHERE "status" NOT IN ('FAILED', 'REJECTED')
 GROUP BY 1, 2, 3, 4;
