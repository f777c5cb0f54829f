# shellcheck shell=bash
# Makes a PostgreSQL server answer on 127.0.0.1 with trust auth for user `postgres`, and exports
# its admin URL. Sourced (not run) by scripts/test.sh and scripts/prod-stack.sh:
#
#   source scripts/ensure-postgres.sh
#   ensure_postgres --check-port 5432 --throwaway      # or: --datadir /var/tmp/some-cluster
#   echo "$GATEWAY_PG_URL"   # postgres://postgres@127.0.0.1:<port>/postgres
#
# 1. A server on 127.0.0.1:<check-port> that accepts user postgres without a password is used
#    as it is (it is never stopped or reconfigured).
# 2. Otherwise a cluster is started from Debian's binaries (/usr/lib/postgresql/<ver>/bin;
#    `apt-get install postgresql` when they are missing and we run as root), as the `postgres`
#    OS user, with trust auth, on 127.0.0.1:55432 (or the next free port up to 55451):
#    --throwaway initdb's a fresh temp dir (fsync off) that is deleted afterwards;
#    --datadir DIR keeps the cluster in DIR/data and initdb's it only the first time.
#    A cluster started here is stopped when the sourcing shell exits (an EXIT trap).
# Returns 1 with a message on stderr when no server can be made available.

_pg_log() { printf '%s: %s\n' "${PG_LOG_PREFIX:-ensure-postgres}" "$*" >&2; }

# Prints a URL with any password replaced by ***.
pg_redact_url() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

# True when `psql` can run `select 1` on the URL without prompting for a password.
pg_answers() {
  local psql
  psql=$(command -v psql || true)
  [[ -z "$psql" && -n "${_PG_BIN:-}" ]] && psql="$_PG_BIN/psql"
  [[ -n "$psql" ]] || return 1
  PGCONNECT_TIMEOUT=5 "$psql" "$1" -X -w -Atq -c 'select 1' >/dev/null 2>&1
}

# Runs a command as the cluster's owner: the postgres OS user when we are root.
_pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Sets _PG_BIN to a directory holding initdb and pg_ctl, installing PostgreSQL if needed.
_pg_find_bin() {
  local dir
  if [[ -n "${GATEWAY_PG_BIN:-}" ]]; then
    _PG_BIN=$GATEWAY_PG_BIN
  else
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
      sort -V | tail -n 1)
    if [[ -z "$dir" ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
      dir=$(dirname "$(command -v pg_ctl)")
    fi
    _PG_BIN=$dir
  fi
  if [[ -n "$_PG_BIN" && -x "$_PG_BIN/initdb" && -x "$_PG_BIN/pg_ctl" ]]; then
    return 0
  fi
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    _pg_log "ERROR: no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin" \
      "and cannot install them (needs root and apt-get); install PostgreSQL or set GATEWAY_TEST_PG_URL"
    return 1
  fi
  _pg_log "PostgreSQL server binaries missing; running apt-get install -y postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || {
    _pg_log "ERROR: apt-get install postgresql failed"
    return 1
  }
  _PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
  [[ -n "$_PG_BIN" && -x "$_PG_BIN/initdb" ]] || {
    _pg_log "ERROR: PostgreSQL installed but no /usr/lib/postgresql/*/bin/initdb"
    return 1
  }
}

# Something (PostgreSQL or not) listens on the port, or a socket file claims it.
_pg_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || [[ -e "/tmp/.s.PGSQL.$1" ]]
}

# EXIT trap: stops the cluster this shell started (and deletes it if it was a throwaway).
_pg_stop_started() {
  if [[ -n "${_PG_STARTED_DATADIR:-}" ]]; then
    local mode=fast
    [[ -n "${_PG_THROWAWAY_DIR:-}" ]] && mode=immediate
    _pg_log "stopping the PostgreSQL cluster this script started (port ${_PG_STARTED_PORT:-none})"
    _pg_as_owner "$_PG_BIN/pg_ctl" -D "$_PG_STARTED_DATADIR" -m "$mode" -w -t 60 stop \
      >/dev/null 2>&1 || true
    _PG_STARTED_DATADIR=
  fi
  if [[ -n "${_PG_THROWAWAY_DIR:-}" ]]; then
    rm -rf -- "$_PG_THROWAWAY_DIR"
    _PG_THROWAWAY_DIR=
  fi
}

# ensure_postgres --check-port PORT (--throwaway | --datadir DIR)
ensure_postgres() {
  local check_port=5432 datadir_parent="" throwaway=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --check-port) check_port=$2; shift 2 ;;
      --datadir) datadir_parent=$2; shift 2 ;;
      --throwaway) throwaway=1; shift ;;
      *) _pg_log "ERROR: ensure_postgres: unknown argument $1"; return 1 ;;
    esac
  done
  if [[ $throwaway -eq 0 && -z "$datadir_parent" ]]; then
    _pg_log "ERROR: ensure_postgres needs --throwaway or --datadir DIR"
    return 1
  fi

  local url="postgres://postgres@127.0.0.1:$check_port/postgres"
  _pg_log "checking for a PostgreSQL server on 127.0.0.1:$check_port"
  if pg_answers "$url"; then
    _pg_log "using the running server: $url"
    export GATEWAY_PG_URL=$url
    return 0
  fi
  if _pg_port_busy "$check_port"; then
    _pg_log "something listens on 127.0.0.1:$check_port but does not accept user postgres" \
      "without a password; starting a separate cluster"
  else
    _pg_log "no server answers on 127.0.0.1:$check_port; using a local cluster"
  fi

  _pg_find_bin || return 1
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    _pg_log "ERROR: running as root but there is no 'postgres' OS user to run the cluster as"
    return 1
  fi

  local parent
  if [[ $throwaway -eq 1 ]]; then
    parent=$(mktemp -d /tmp/gateway-pg.XXXXXX) || return 1
    _PG_THROWAWAY_DIR=$parent
  else
    parent=$datadir_parent
    mkdir -p -- "$parent" || return 1
  fi
  [[ $EUID -eq 0 ]] && chown postgres: "$parent"
  chmod 700 "$parent"
  local datadir="$parent/data" logfile="$parent/server.log"

  # Installed before the cluster exists, so an interrupted start still cleans up.
  trap _pg_stop_started EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # A --datadir cluster that is already running (another shell started it): reuse it.
  if [[ $throwaway -eq 0 && -f "$datadir/postmaster.pid" ]] &&
    _pg_as_owner "$_PG_BIN/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    local port
    port=$(sed -n 4p "$datadir/postmaster.pid")
    url="postgres://postgres@127.0.0.1:$port/postgres"
    if pg_answers "$url"; then
      _pg_log "using the cluster already running from $datadir: $url"
      export GATEWAY_PG_URL=$url
      return 0
    fi
  fi

  if [[ ! -f "$datadir/PG_VERSION" ]]; then
    _pg_log "initdb (trust auth, user postgres) in $datadir with $_PG_BIN"
    local nosync=()
    [[ $throwaway -eq 1 ]] && nosync=(--no-sync)
    if ! _pg_as_owner "$_PG_BIN/initdb" -D "$datadir" --auth=trust -U postgres -E UTF8 \
      --locale=C "${nosync[@]}" >"$parent/initdb.log" 2>&1; then
      cat "$parent/initdb.log" >&2
      _pg_log "ERROR: initdb failed (log above)"
      return 1
    fi
  fi

  local opts="-c listen_addresses=127.0.0.1 -c max_connections=300 -k /tmp"
  [[ $throwaway -eq 1 ]] && opts+=" -c fsync=off"
  local port tried=0
  _PG_STARTED_DATADIR=$datadir # from here on, the EXIT trap stops whatever may have started
  for port in $(seq "${GATEWAY_PG_START_PORT:-55432}" $((${GATEWAY_PG_START_PORT:-55432} + 19))); do
    _pg_port_busy "$port" && continue
    tried=$((tried + 1))
    _pg_log "starting PostgreSQL on 127.0.0.1:$port (log: $logfile)"
    if _pg_as_owner "$_PG_BIN/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 \
      -o "-p $port $opts" start >/dev/null 2>&1; then
      _PG_STARTED_PORT=$port
      url="postgres://postgres@127.0.0.1:$port/postgres"
      if ! pg_answers "$url"; then
        tail -n 20 "$logfile" >&2
        _pg_log "ERROR: the cluster started but psql cannot run 'select 1' on $url"
        return 1
      fi
      _pg_log "PostgreSQL answers at $url"
      export GATEWAY_PG_URL=$url
      return 0
    fi
    # Most likely another process took the port between the check and the start.
    [[ $tried -ge 3 ]] && break
  done
  [[ -f "$logfile" ]] && tail -n 20 "$logfile" >&2
  _pg_log "ERROR: could not start PostgreSQL (ports from ${GATEWAY_PG_START_PORT:-55432} tried;" \
    "server log above)"
  return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "scripts/ensure-postgres.sh is meant to be sourced: see its header comment" >&2
  exit 2
fi
