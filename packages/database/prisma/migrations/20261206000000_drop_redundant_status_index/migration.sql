-- transactions_status_created_at_idx serves every lookup by status alone, so this index was
-- only one more index entry written by every transfer and every status change (the worker's
-- transitions included).

-- DropIndex
DROP INDEX "transactions_status_idx";
