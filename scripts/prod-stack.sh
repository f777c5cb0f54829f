#!/usr/bin/env bash
# The production-shaped local stack: config/gateway.prod.yaml on PostgreSQL.
#
#   scripts/prod-stack.sh                   # gateway serve
#   scripts/prod-stack.sh migrate --apply   # any other gateway subcommand, same environment
#
# PostgreSQL: GATEWAY_DATABASE_URL when set (used as is). Otherwise the server on
# 127.0.0.1:5432 (GATEWAY_PG_PORT_CHECK changes the port) if it accepts user postgres without
# a password, else a local cluster kept in GATEWAY_PG_DATADIR (default
# /var/tmp/gateway-prod-pg) that runs while this script does; then database `gateway` is
# created if missing. The bootstrap admin is admin@local with GATEWAY_BOOTSTRAP_ADMIN_PASSWORD
# (default `admin`), which must be changed at first sign-in.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_LOG_PREFIX=prod-stack.sh
# shellcheck source=scripts/ensure-postgres.sh
source scripts/ensure-postgres.sh
log() { printf 'prod-stack.sh: %s\n' "$*" >&2; }

if [[ -n "${GATEWAY_DATABASE_URL:-}" ]]; then
  log "using GATEWAY_DATABASE_URL=$(pg_redact_url "$GATEWAY_DATABASE_URL") as set"
else
  ensure_postgres --check-port "${GATEWAY_PG_PORT_CHECK:-5432}" \
    --datadir "${GATEWAY_PG_DATADIR:-/var/tmp/gateway-prod-pg}" || {
    log "ERROR: PostgreSQL could not be made available"
    exit 1
  }
  psql=$(command -v psql || echo "$_PG_BIN/psql")
  exists=$("$psql" "$GATEWAY_PG_URL" -X -w -Atq \
    -c "select 1 from pg_database where datname = 'gateway'")
  if [[ "$exists" == 1 ]]; then
    log "database gateway exists"
  else
    log "creating database gateway"
    "$psql" "$GATEWAY_PG_URL" -X -w -q -v ON_ERROR_STOP=1 -c 'create database gateway'
  fi
  export GATEWAY_DATABASE_URL=${GATEWAY_PG_URL%/postgres}/gateway
fi
export GATEWAY_BOOTSTRAP_ADMIN_PASSWORD=${GATEWAY_BOOTSTRAP_ADMIN_PASSWORD:-admin}

[[ $# -gt 0 ]] || set -- serve
log "running: cargo run -- --config config/gateway.prod.yaml $* (GATEWAY_DATABASE_URL=$(pg_redact_url "$GATEWAY_DATABASE_URL"))"
# Not exec: the EXIT trap must still stop a cluster started above.
cargo run -- --config config/gateway.prod.yaml "$@"
