#!/usr/bin/env bash
# The one command that runs the test suite on a fresh machine:
#
#   scripts/test.sh [extra cargo test args, e.g. `config::` or `-- --nocapture`]
#
# 1. PostgreSQL: GATEWAY_TEST_PG_URL when set; otherwise the server on 127.0.0.1:5432
#    (GATEWAY_TEST_PG_PORT_CHECK changes the port checked) if it accepts user postgres without
#    a password; otherwise a throwaway cluster started by scripts/ensure-postgres.sh and
#    stopped when this script exits. No PostgreSQL means failure, never skipped tests.
# 2. The `openai` Python package (official SDK) for tests/openai_sdk.rs, installed with pip when
#    missing.
# 3. Debian's chromium (apt-get) and tests/e2e's node modules (npm ci, playwright-core) for
#    tests/browser_e2e.rs, installed when missing; failure to install stops the run.
# 4. cargo test --all-targets --no-fail-fast (with --locked when Cargo.lock is committed), so
#    one failing test binary does not hide the results of the others.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_LOG_PREFIX=test.sh
# shellcheck source=scripts/ensure-postgres.sh
source scripts/ensure-postgres.sh
log() { printf 'test.sh: %s\n' "$*" >&2; }

if [[ -n "${GATEWAY_TEST_PG_URL:-}" ]]; then
  log "using GATEWAY_TEST_PG_URL=$(pg_redact_url "$GATEWAY_TEST_PG_URL")"
  if ! pg_answers "$GATEWAY_TEST_PG_URL"; then
    log "ERROR: PostgreSQL at GATEWAY_TEST_PG_URL does not answer 'select 1' (psql -w);" \
      "fix or unset GATEWAY_TEST_PG_URL"
    exit 1
  fi
else
  ensure_postgres --check-port "${GATEWAY_TEST_PG_PORT_CHECK:-5432}" --throwaway || {
    log "ERROR: PostgreSQL is required for the tests and could not be made available"
    exit 1
  }
  export GATEWAY_TEST_PG_URL=$GATEWAY_PG_URL
fi

# The official OpenAI Python SDK drives the gateway in tests/openai_sdk.rs.
if ! python3 -c 'import openai' 2>/dev/null; then
  log "installing the openai Python package (official SDK, used by tests/openai_sdk.rs)"
  python3 -m pip install --quiet --disable-pip-version-check openai >&2 || {
    log "ERROR: could not install the openai Python package; tests/openai_sdk.rs needs it"
    exit 1
  }
fi

# Headless Chromium and playwright-core drive the admin UI in tests/browser_e2e.rs. The browser
# comes from Debian (a test tool's own browser download does not work here); the node modules
# from tests/e2e/package-lock.json.
if [[ ! -x /usr/bin/chromium ]]; then
  log "installing Debian's chromium (used by tests/browser_e2e.rs)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 || {
    log "ERROR: could not install chromium (apt-get install -y chromium); tests/browser_e2e.rs needs it"
    exit 1
  }
  [[ -x /usr/bin/chromium ]] || {
    log "ERROR: chromium was installed but /usr/bin/chromium is missing"
    exit 1
  }
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "ERROR: node and npm are required for tests/browser_e2e.rs (tests/e2e/admin_flow.mjs)"
  exit 1
fi
if [[ ! -f tests/e2e/node_modules/playwright-core/package.json ]]; then
  log "installing tests/e2e node modules (npm ci; playwright-core, no browser download)"
  (cd tests/e2e && npm ci --no-audit --no-fund >&2) || {
    log "ERROR: npm ci in tests/e2e failed; tests/browser_e2e.rs needs playwright-core"
    exit 1
  }
fi

locked=()
if git ls-files --error-unmatch Cargo.lock >/dev/null 2>&1; then
  locked=(--locked)
fi
log "running: cargo test ${locked[*]} --all-targets --no-fail-fast $* (GATEWAY_TEST_PG_URL=$(pg_redact_url "$GATEWAY_TEST_PG_URL"))"
# Not exec: the EXIT trap must still stop a cluster started above.
cargo test "${locked[@]}" --all-targets --no-fail-fast "$@"
