-- Spend buckets kept once per statement for updates of transactions too, taking their bucket
-- rows in one order: every wallet bucket in key order, then every key bucket in key order.
--
-- The row trigger applied each updated row on its own, in the order the statement updated the
-- rows: a row's wallet buckets, then its capped key's. A statement failing many transfers (the
-- worker's page of expired or failed ones, the approval expiry sweep, a freeze cancelling in
-- its scope) could so hold a key's bucket from an earlier row while it waited for a later row's
-- wallet bucket, which a reservation on that wallet with the same key held while it waited for
-- the key's bucket: a deadlock, and PostgreSQL cancelled one side (a reservation answered 500,
-- or a worker page rolled back). Two such statements over the same wallets in different row
-- orders deadlocked each other the same way. A reservation's insert (spend_buckets_insert_rows)
-- takes its wallet's buckets, then its key's; with every writer taking wallet buckets before
-- key buckets, each in key order, no two wait for each other in a circle.
--
-- The statement's net change per bucket: each new row that counts adds, each old row that
-- counted subtracts, and a bucket whose change nets to nothing is not written, so the
-- worker's PENDING → SUBMITTED → CONFIRMED (still counting the same) write no bucket. That
-- replaces the row trigger's WHEN clause, which a statement trigger cannot have (nor can a
-- trigger with transition tables name columns). A change that only subtracts from a bucket
-- that does not exist writes nothing, as the row trigger's UPDATE did.
--
-- Only keys with a cap keep buckets (the cap is fixed when the key is created). A key deleted
-- with its agent sets its transactions' agent_key_id to NULL in a statement that runs after the
-- key row is gone: the join below no longer finds the key, and its buckets go with it.

CREATE FUNCTION "spend_buckets_update_rows"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "spend_buckets" ("wallet_id", "width", "bucket_start", "asset", "amount", "fees", "tx_count")
  SELECT d."wallet_id", d.width, d.bucket_start, d.asset, d.amount, d.fees, d.tx_count
    FROM (SELECT c."wallet_id", w.width,
                 CASE w.width WHEN 3600 THEN date_trunc('hour', c."created_at", 'UTC')
                              ELSE date_trunc('minute', c."created_at", 'UTC') END AS bucket_start,
                 COALESCE(c."asset", '') AS asset,
                 SUM(c.sign * c."amount") AS amount, SUM(c.sign * c."network_fee") AS fees,
                 SUM(c.sign)::int AS tx_count
            FROM (SELECT 1 AS sign, r."wallet_id", r."created_at", r."asset", r."amount", r."network_fee"
                    FROM "new_rows" r
                   WHERE r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
                  UNION ALL
                  SELECT -1, r."wallet_id", r."created_at", r."asset", r."amount", r."network_fee"
                    FROM "old_rows" r
                   WHERE r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')) c
            CROSS JOIN (VALUES (3600), (60)) AS w(width)
           GROUP BY 1, 2, 3, 4
          HAVING SUM(c.sign * c."amount") <> 0 OR SUM(c.sign * c."network_fee") <> 0
              OR SUM(c.sign) <> 0) d
   WHERE d.tx_count > 0
      OR EXISTS (SELECT 1 FROM "spend_buckets" b
                  WHERE b."wallet_id" = d."wallet_id" AND b."width" = d.width
                    AND b."bucket_start" = d.bucket_start AND b."asset" = d.asset)
   ORDER BY 1, 2, 3, 4
  ON CONFLICT ("wallet_id", "width", "bucket_start", "asset") DO UPDATE
    SET "amount" = "spend_buckets"."amount" + EXCLUDED."amount",
        "fees" = "spend_buckets"."fees" + EXCLUDED."fees",
        "tx_count" = "spend_buckets"."tx_count" + EXCLUDED."tx_count";
  INSERT INTO "key_spend_buckets" ("agent_key_id", "width", "bucket_start", "sol_amount", "fees", "tx_count")
  SELECT d."agent_key_id", d.width, d.bucket_start, d.sol_amount, d.fees, d.tx_count
    FROM (SELECT c."agent_key_id", w.width,
                 CASE w.width WHEN 3600 THEN date_trunc('hour', c."created_at", 'UTC')
                              ELSE date_trunc('minute', c."created_at", 'UTC') END AS bucket_start,
                 SUM(c.sign * CASE WHEN c."asset" IS NULL THEN c."amount" ELSE 0 END) AS sol_amount,
                 SUM(c.sign * c."network_fee") AS fees, SUM(c.sign)::int AS tx_count
            FROM (SELECT 1 AS sign, r."agent_key_id", r."created_at", r."asset", r."amount", r."network_fee"
                    FROM "new_rows" r
                   WHERE r."agent_key_id" IS NOT NULL
                     AND r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
                  UNION ALL
                  SELECT -1, r."agent_key_id", r."created_at", r."asset", r."amount", r."network_fee"
                    FROM "old_rows" r
                   WHERE r."agent_key_id" IS NOT NULL
                     AND r."status"::text NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')) c
            JOIN "agent_keys" k ON k."id" = c."agent_key_id" AND k."daily_cap" IS NOT NULL
            CROSS JOIN (VALUES (3600), (60)) AS w(width)
           GROUP BY 1, 2, 3
          HAVING SUM(c.sign * CASE WHEN c."asset" IS NULL THEN c."amount" ELSE 0 END) <> 0
              OR SUM(c.sign * c."network_fee") <> 0 OR SUM(c.sign) <> 0) d
   WHERE d.tx_count > 0
      OR EXISTS (SELECT 1 FROM "key_spend_buckets" b
                  WHERE b."agent_key_id" = d."agent_key_id" AND b."width" = d.width
                    AND b."bucket_start" = d.bucket_start)
   ORDER BY 1, 2, 3
  ON CONFLICT ("agent_key_id", "width", "bucket_start") DO UPDATE
    SET "sol_amount" = "key_spend_buckets"."sol_amount" + EXCLUDED."sol_amount",
        "fees" = "key_spend_buckets"."fees" + EXCLUDED."fees",
        "tx_count" = "key_spend_buckets"."tx_count" + EXCLUDED."tx_count";
  RETURN NULL;
END;
$$;

-- Swapped under the lock the trigger DDL takes on transactions until this migration commits: no
-- update falls between the old trigger and the new one.
DROP TRIGGER "transactions_spend_buckets_update" ON "transactions";
CREATE TRIGGER "transactions_spend_buckets_update"
  AFTER UPDATE ON "transactions"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "spend_buckets_update_rows"();
DROP FUNCTION "spend_buckets_apply"();
