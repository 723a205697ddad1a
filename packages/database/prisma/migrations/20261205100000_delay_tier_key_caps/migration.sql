-- The delay tier and per-key daily caps.
-- - transactions.due_at: a DELAYED transfer (above its policy's delay threshold) is released,
--   judged again and signed at or after this instant, unless the owner cancels it first.
-- - transactions.agent_key_id: the agent key that asked for the transfer, so a key's daily cap
--   can be summed from the transfers it made (null for rows stored before keys were recorded
--   and for system transfers).
-- - agent_keys.daily_cap: lamports of SOL cost (amounts + network fees) the key may spend in a
--   rolling 24 hours across its wallets; null = only the wallets' policies bind it.

-- AlterTable
ALTER TABLE "agent_keys" ADD COLUMN     "daily_cap" DECIMAL(20,0);

-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "agent_key_id" UUID,
ADD COLUMN     "due_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "transactions_agent_key_id_created_at_idx" ON "transactions"("agent_key_id", "created_at");

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_agent_key_id_fkey" FOREIGN KEY ("agent_key_id") REFERENCES "agent_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_daily_cap_u64"
    CHECK ("daily_cap" IS NULL OR ("daily_cap" >= 0 AND "daily_cap" <= 18446744073709551615));
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_delayed_has_due_at"
    CHECK ("status"::text <> 'DELAYED' OR "due_at" IS NOT NULL);
