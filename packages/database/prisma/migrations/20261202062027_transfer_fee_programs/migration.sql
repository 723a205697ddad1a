-- What a transfer costs in SOL beyond its amount (the network fee, counted toward the SOL
-- limits) and the programs it invokes (so a re-check at approval judges allowedPrograms on
-- the same list as the reservation did). Rows from before keep fee 0 and an empty list; an
-- empty list is read as "not declared", which a policy with allowedPrograms refuses.
-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "network_fee" DECIMAL(20,0) NOT NULL DEFAULT 0,
ADD COLUMN     "programs" TEXT[] DEFAULT ARRAY[]::TEXT[];

ALTER TABLE "transactions" ADD CONSTRAINT "transactions_network_fee_u64"
  CHECK ("network_fee" >= 0 AND "network_fee" <= 18446744073709551615);
