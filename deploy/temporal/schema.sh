#!/bin/sh
# Brings Temporal's PostgreSQL databases to the schema version shipped in this admin-tools image.
# Runs in temporalio/admin-tools (service `temporal-schema`) before every start of the server.
#
# Idempotent: `setup-schema -v 0.0` creates the version tables if they are missing and records 0.0
# only when no newer version is recorded; `update-schema` then applies the versions not yet applied.
# The databases themselves are created by deploy/postgres/initdb/ (or by you, on an external server).
#
# Connection settings come from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD.
set -eu

SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

for db in temporal temporal_visibility; do
  if [ "$db" = temporal ]; then dir=temporal; else dir=visibility; fi

  attempt=1
  until temporal-sql-tool --db "$db" setup-schema -v 0.0; do
    if [ "$attempt" -ge 10 ]; then
      echo "temporal-schema: cannot reach database $db on $SQL_HOST:$SQL_PORT as $SQL_USER" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 3
  done

  temporal-sql-tool --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
  echo "temporal-schema: $db is up to date"
done
