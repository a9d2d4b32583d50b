#!/bin/bash
# Runs once, from the postgres image's docker-entrypoint-initdb.d, when the data volume is empty.
# Creates one login role per consumer, each owning only its own databases:
#   least     -> least                             (Least's system of record; app/cli.ts migrate fills it)
#   temporal  -> temporal, temporal_visibility     (deploy/temporal/schema.sh fills them)
# Changing a password later: ALTER ROLE … PASSWORD …, then update .env (docs/deploy.md).
# No `set -u`: if this file ever loses its exec bit, the entrypoint sources it and the flag would leak.
set -e

: "${LEAST_DB_PASSWORD:?LEAST_DB_PASSWORD is not set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"

# Passwords go in as psql variables (:'name' quotes them), never spliced into the SQL text.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=least_password="$LEAST_DB_PASSWORD" \
  --set=temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE least LOGIN PASSWORD :'least_password';
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';

CREATE DATABASE least OWNER least;
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

REVOKE ALL ON DATABASE least FROM PUBLIC;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL
