#!/usr/bin/env bash
# Logical backup of the WAIaaS database in pg_dump's custom format (-Fc): compressed, and
# restorable table by table with pg_restore.
#   DATABASE_URL=postgresql://… infra/backup/backup.sh [output-file]
# Prints the path of the dump. Exits non-zero on any failure (no partial file is left behind).
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL must point at the database to back up}"
out="${1:-waiaas-$(date -u +%Y%m%dT%H%M%SZ).dump}"
tmp="${out}.partial"
trap 'rm -f "$tmp"' EXIT
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
