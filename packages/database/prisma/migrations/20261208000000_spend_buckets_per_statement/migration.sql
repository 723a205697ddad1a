-- Spend buckets kept once per statement for inserts and deletes of transactions.
--
-- The row trigger applied every inserted or deleted row to its buckets on its own: a statement
-- that writes many transactions of one wallet (an import of history, a wallet's cascade delete)
-- updated the same hour bucket once per row, leaving one dead version per row that every later
-- read of that bucket walked until a vacuum came (50,000 rows in one statement: ~2,000 versions
-- in each hour bucket). These statement triggers read the statement's rows from a transition
-- table and apply their sums with one upsert per bucket table, so a bucket is written once per
-- statement however many rows it takes. A single-row insert (every reservation) costs the same
-- one upsert as before.
--
-- The upserts take their bucket rows in key order (ORDER BY): two inserts writing overlapping
-- buckets (a bulk import beside a wallet's live reservations) lock them in the same order
-- instead of a hash aggregate's, whose order depends on its table's size, and so do not
-- deadlock each other. (Reservations of one wallet, or of one capped key, are serialised by
-- their row locks before they insert anyway.)
--
-- Updates stay row triggers: their WHEN clause skips the call for the status changes that keep
-- counting the same (the worker's PENDING → SUBMITTED → CONFIRMED), which a statement trigger
-- (no WHEN on rows, transition tables captured for every UPDATE) could not.

CREATE FUNCTION "spend_buckets_insert_rows"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "spend_buckets" ("wallet_id", "width", "bucket_start", "asset", "amount", "fees", "tx_count")
  SELECT r."wallet_id", w.width,
         CASE w.width WHEN 3600 THEN date_trunc('hour', r."created_at", 'UTC')
                      ELSE date_trunc('minute', r."created_at", 'UTC') END,
         COALESCE(r."asset", ''), SUM(r."amount"), SUM(r."network_fee"), COUNT(*)
    FROM "new_rows" r CROSS JOIN (VALUES (3600), (60)) AS w(width)
   WHERE r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4
  ON CONFLICT ("wallet_id", "width", "bucket_start", "asset") DO UPDATE
    SET "amount" = "spend_buckets"."amount" + EXCLUDED."amount",
        "fees" = "spend_buckets"."fees" + EXCLUDED."fees",
        "tx_count" = "spend_buckets"."tx_count" + EXCLUDED."tx_count";
  -- Only keys with a cap keep buckets (the cap is fixed when the key is created).
  INSERT INTO "key_spend_buckets" ("agent_key_id", "width", "bucket_start", "sol_amount", "fees", "tx_count")
  SELECT r."agent_key_id", w.width,
         CASE w.width WHEN 3600 THEN date_trunc('hour', r."created_at", 'UTC')
                      ELSE date_trunc('minute', r."created_at", 'UTC') END,
         SUM(CASE WHEN r."asset" IS NULL THEN r."amount" ELSE 0 END), SUM(r."network_fee"), COUNT(*)
    FROM "new_rows" r
    JOIN "agent_keys" k ON k."id" = r."agent_key_id" AND k."daily_cap" IS NOT NULL
    CROSS JOIN (VALUES (3600), (60)) AS w(width)
   WHERE r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT ("agent_key_id", "width", "bucket_start") DO UPDATE
    SET "sol_amount" = "key_spend_buckets"."sol_amount" + EXCLUDED."sol_amount",
        "fees" = "key_spend_buckets"."fees" + EXCLUDED."fees",
        "tx_count" = "key_spend_buckets"."tx_count" + EXCLUDED."tx_count";
  RETURN NULL;
END;
$$;

CREATE FUNCTION "spend_buckets_delete_rows"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "spend_buckets" b
     SET "amount" = b."amount" - d.amount,
         "fees" = b."fees" - d.fees,
         "tx_count" = b."tx_count" - d.tx_count
    FROM (SELECT r."wallet_id", w.width,
                 CASE w.width WHEN 3600 THEN date_trunc('hour', r."created_at", 'UTC')
                              ELSE date_trunc('minute', r."created_at", 'UTC') END AS bucket_start,
                 COALESCE(r."asset", '') AS asset,
                 SUM(r."amount") AS amount, SUM(r."network_fee") AS fees, COUNT(*) AS tx_count
            FROM "old_rows" r CROSS JOIN (VALUES (3600), (60)) AS w(width)
           WHERE r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
           GROUP BY 1, 2, 3, 4) d
   WHERE b."wallet_id" = d."wallet_id" AND b."width" = d.width
     AND b."bucket_start" = d.bucket_start AND b."asset" = d.asset;
  -- A key without a cap has no buckets (nothing matches).
  UPDATE "key_spend_buckets" b
     SET "sol_amount" = b."sol_amount" - d.sol_amount,
         "fees" = b."fees" - d.fees,
         "tx_count" = b."tx_count" - d.tx_count
    FROM (SELECT r."agent_key_id", w.width,
                 CASE w.width WHEN 3600 THEN date_trunc('hour', r."created_at", 'UTC')
                              ELSE date_trunc('minute', r."created_at", 'UTC') END AS bucket_start,
                 SUM(CASE WHEN r."asset" IS NULL THEN r."amount" ELSE 0 END) AS sol_amount,
                 SUM(r."network_fee") AS fees, COUNT(*) AS tx_count
            FROM "old_rows" r CROSS JOIN (VALUES (3600), (60)) AS w(width)
           WHERE r."agent_key_id" IS NOT NULL
             AND r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
           GROUP BY 1, 2, 3) d
   WHERE b."agent_key_id" = d."agent_key_id" AND b."width" = d.width
     AND b."bucket_start" = d.bucket_start;
  RETURN NULL;
END;
$$;

-- Swapped under the lock the trigger DDL takes on transactions until this migration commits: no
-- write falls between the old trigger and the new ones.
DROP TRIGGER "transactions_spend_buckets" ON "transactions";
CREATE TRIGGER "transactions_spend_buckets_insert"
  AFTER INSERT ON "transactions"
  REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "spend_buckets_insert_rows"();
CREATE TRIGGER "transactions_spend_buckets_delete"
  AFTER DELETE ON "transactions"
  REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "spend_buckets_delete_rows"();
