#!/bin/sh
# GovShare backup (#32): the database (pg_dump, custom format; attachments are in it) and the instance folder (the
# audit keyring and checkpoint file), taken together under one timestamp; backups older than KEEP_DAYS (30) go.
# Run by govshare-backup.timer as the govshare user with /etc/govshare/govshare.env; restore: README, "Backup and
# restore". AUDIT_KEY is not in the backup: keep the environment file apart from these copies.
# Usage: sh backup.sh DEST_DIR
set -eu
dest=${1:?usage: backup.sh DEST_DIR}
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${GOVSHARE_INSTANCE:?GOVSHARE_INSTANCE is not set}"
mkdir -p "$dest"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
url=$(printf '%s' "$DATABASE_URL" | sed 's|^postgresql+psycopg://|postgresql://|')  # libpq's form
pg_dump -Fc -d "$url" -f "$dest/govshare-$stamp.dump"
tar -C "$(dirname "$GOVSHARE_INSTANCE")" -czf "$dest/govshare-instance-$stamp.tgz" "$(basename "$GOVSHARE_INSTANCE")"
find "$dest" -maxdepth 1 -name 'govshare-*' -mtime +"${KEEP_DAYS:-30}" -delete
echo "$dest/govshare-$stamp.dump $dest/govshare-instance-$stamp.tgz"
