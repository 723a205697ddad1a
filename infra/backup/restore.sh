#!/usr/bin/env bash
# Restores a dump made by backup.sh into an EMPTY database (it refuses a database that already
# has tables, so a restore can never be mixed into live data).
#   DATABASE_URL=postgresql://…/fresh_db infra/backup/restore.sh waiaas-….dump
# The whole restore runs in one transaction: it lands completely or not at all.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL must point at the empty database to restore into}"
dump="${1:?usage: restore.sh <dump-file>}"
[ -r "$dump" ] || { echo "cannot read $dump" >&2; exit 2; }
tables=$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "refusing to restore: the target database already has $tables table(s)" >&2
  exit 3
fi
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$DATABASE_URL" "$dump"
echo "restored $dump"
