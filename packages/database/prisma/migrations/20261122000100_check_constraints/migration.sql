-- CHECK constraints the data model implies. Prisma's schema language cannot express them,
-- so they live here only (listed in prisma/migration-only.json for the drift test).

-- Policies: metadata is a JSON object; limits are never negative.
ALTER TABLE "wallet_policies"
  ADD CONSTRAINT "wallet_policies_metadata_object" CHECK (jsonb_typeof("metadata") = 'object'),
  ADD CONSTRAINT "wallet_policies_daily_limit_non_negative" CHECK ("daily_limit" >= 0),
  ADD CONSTRAINT "wallet_policies_per_tx_limit_non_negative" CHECK ("per_tx_limit" >= 0),
  ADD CONSTRAINT "wallet_policies_version_positive" CHECK ("version" >= 1);

-- Wallets: a Turnkey wallet has a Turnkey id, a local one has none.
ALTER TABLE "wallets"
  ADD CONSTRAINT "wallets_turnkey_id_matches_custody"
    CHECK (("custody" = 'TURNKEY') = ("turnkey_wallet_id" IS NOT NULL));

-- Transactions: a positive u64 amount in base units; coherent status columns.
ALTER TABLE "transactions"
  ADD CONSTRAINT "transactions_amount_u64"
    CHECK ("amount" > 0 AND "amount" <= 18446744073709551615),
  ADD CONSTRAINT "transactions_decimals_u8" CHECK ("decimals" BETWEEN 0 AND 255),
  ADD CONSTRAINT "transactions_metadata_object" CHECK (jsonb_typeof("metadata") = 'object'),
  ADD CONSTRAINT "transactions_policy_decision_object"
    CHECK (jsonb_typeof("policy_decision") = 'object'),
  ADD CONSTRAINT "transactions_submit_attempts_non_negative" CHECK ("submit_attempts" >= 0),
  ADD CONSTRAINT "transactions_fee_non_negative" CHECK ("fee" IS NULL OR "fee" >= 0),
  ADD CONSTRAINT "transactions_slot_non_negative" CHECK ("slot" IS NULL OR "slot" >= 0),
  -- Anything signed carries what the worker needs to (re)broadcast and expire it.
  ADD CONSTRAINT "transactions_signed_has_wire"
    CHECK ("status" NOT IN ('PENDING', 'SUBMITTED', 'CONFIRMED')
           OR ("signature" IS NOT NULL AND "wire_transaction" IS NOT NULL
               AND "blockhash" IS NOT NULL AND "last_valid_block_height" IS NOT NULL)),
  -- FAILED always says why; nothing else carries a failure reason.
  ADD CONSTRAINT "transactions_failure_reason_iff_failed"
    CHECK (("status" = 'FAILED') = ("failure_reason" IS NOT NULL)),
  ADD CONSTRAINT "transactions_idempotency_key_length"
    CHECK ("idempotency_key" IS NULL OR char_length("idempotency_key") BETWEEN 1 AND 255);

ALTER TABLE "idempotency_records"
  ADD CONSTRAINT "idempotency_records_key_length" CHECK (char_length("key") BETWEEN 1 AND 255),
  ADD CONSTRAINT "idempotency_records_completed_has_response"
    CHECK ("state" <> 'COMPLETED' OR ("response_status" IS NOT NULL AND "completed_at" IS NOT NULL));

ALTER TABLE "events"
  ADD CONSTRAINT "events_payload_object" CHECK (jsonb_typeof("payload") = 'object');

ALTER TABLE "webhook_deliveries"
  ADD CONSTRAINT "webhook_deliveries_attempts_non_negative" CHECK ("attempts" >= 0);

ALTER TABLE "local_keys"
  ADD CONSTRAINT "local_keys_nonce_length" CHECK (octet_length("nonce") = 12),
  ADD CONSTRAINT "local_keys_key_version_positive" CHECK ("key_version" >= 1);
