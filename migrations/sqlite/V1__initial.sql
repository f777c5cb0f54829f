-- V1: the whole day-0 schema. Never edit once applied; add V2__… instead.
-- Lockstep twin: migrations/postgres/V1__initial.sql (same tables, PostgreSQL types).
-- Timestamps are INTEGER unix milliseconds (UTC); money is INTEGER micro-dollars; secrets are SHA-256 digests or
-- argon2id PHC strings, never plaintext.

-- People who can sign in to /admin (once active) and own personal credentials.
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,            -- stored lower-case
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    platform_admin       INTEGER NOT NULL DEFAULT 0,
    password_hash        TEXT,                            -- argon2id PHC string; NULL until onboarding
    must_change_password INTEGER NOT NULL DEFAULT 0,
    origin               TEXT NOT NULL,                   -- config | bootstrap | admin | cli
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    last_login_at        INTEGER
);
CREATE INDEX users_active_admins ON users (platform_admin, status);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,                          -- slug
    name       TEXT NOT NULL,
    origin     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, team_id)
);
CREATE INDEX memberships_team ON memberships (team_id);

-- /admin sign-in sessions, keyed by SHA-256 of the cookie token.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,                   -- absolute lifetime
    client_addr   TEXT,
    user_agent    TEXT,
    ended_at      INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time onboarding links.
CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX invites_user ON invites (user_id);

-- Non-human principals owned by one team.
CREATE TABLE service_accounts (
    id         TEXT PRIMARY KEY,                          -- slug
    team_id    TEXT NOT NULL REFERENCES teams (id),
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    origin     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX service_accounts_team ON service_accounts (team_id);

-- Data-plane credentials (gw_<public_id>_<secret>): exactly one owner.
CREATE TABLE credentials (
    id                 TEXT PRIMARY KEY,
    public_id          TEXT NOT NULL UNIQUE,
    secret_hash        BLOB NOT NULL,                    -- SHA-256 of the secret part
    last4              TEXT NOT NULL,
    name               TEXT NOT NULL,
    service_account_id TEXT REFERENCES service_accounts (id),
    user_id            TEXT REFERENCES users (id),
    model_grants       TEXT,                              -- NULL = all the owner may use; else JSON array
    expires_at         INTEGER,
    created_by         TEXT,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER,
    revoked_at         INTEGER,
    CHECK ((service_account_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX credentials_service_account ON credentials (service_account_id);
CREATE INDEX credentials_user ON credentials (user_id);

-- Control-plane tokens (gateway admin token): only valid on /api/v1/admin/*.
CREATE TABLE admin_tokens (
    id           TEXT PRIMARY KEY,
    public_id    TEXT NOT NULL UNIQUE,
    secret_hash  BLOB NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX admin_tokens_user ON admin_tokens (user_id);

-- Upstreams. settings holds non-secret settings; api_key_ref holds a reference, never a key.
CREATE TABLE providers (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    settings    TEXT NOT NULL,                            -- JSON
    api_key_ref TEXT,
    origin      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE models (
    id                       TEXT PRIMARY KEY,
    description              TEXT NOT NULL,
    alias_of                 TEXT,
    max_output_tokens        INTEGER,
    price_input_per_mtok     INTEGER,                      -- micro-USD per million tokens
    price_output_per_mtok    INTEGER,
    price_cached_per_mtok    INTEGER,
    origin                   TEXT NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);

CREATE TABLE model_routes (
    model_id              TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    provider_id           TEXT NOT NULL REFERENCES providers (id),
    upstream_model        TEXT NOT NULL,
    weight                INTEGER NOT NULL CHECK (weight > 0),
    priority              INTEGER NOT NULL,
    price_input_per_mtok  INTEGER,
    price_output_per_mtok INTEGER,
    price_cached_per_mtok INTEGER,
    PRIMARY KEY (model_id, position)
);

CREATE TABLE budgets (
    id            TEXT PRIMARY KEY,
    scope_kind    TEXT NOT NULL CHECK (scope_kind IN ('team', 'user', 'service_account')),
    scope_id      TEXT NOT NULL,
    cadence       TEXT NOT NULL CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    timezone      TEXT NOT NULL,
    amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
    hard_limit    INTEGER NOT NULL,
    origin        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX budgets_scope ON budgets (scope_kind, scope_id);

-- Spend of record: one row per request id, so a replayed write never double-counts.
CREATE TABLE usage_ledger (
    request_id         TEXT PRIMARY KEY,
    at                 INTEGER NOT NULL,
    credential_id      TEXT,
    user_id            TEXT,
    service_account_id TEXT,
    team_id            TEXT,
    model              TEXT NOT NULL,
    provider_id        TEXT,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cost_micros        INTEGER,                            -- NULL = unpriced
    priced             INTEGER NOT NULL
);
CREATE INDEX usage_ledger_at ON usage_ledger (at);
CREATE INDEX usage_ledger_team_at ON usage_ledger (team_id, at);
CREATE INDEX usage_ledger_user_at ON usage_ledger (user_id, at);
CREATE INDEX usage_ledger_sa_at ON usage_ledger (service_account_id, at);

CREATE TABLE request_logs (
    request_id          TEXT PRIMARY KEY,
    at                  INTEGER NOT NULL,
    credential_id       TEXT,
    user_id             TEXT,
    service_account_id  TEXT,
    team_id             TEXT,
    endpoint            TEXT NOT NULL,
    model_requested     TEXT,
    model_served        TEXT,
    provider_id         TEXT,
    attempts            TEXT NOT NULL,                    -- JSON array of {provider, status, latency_us}
    status              INTEGER NOT NULL,
    error_code          TEXT,
    latency_us          INTEGER NOT NULL,
    upstream_latency_us INTEGER,
    input_tokens        INTEGER,
    output_tokens       INTEGER,
    cost_micros         INTEGER,
    payload             TEXT
);
CREATE INDEX request_logs_at ON request_logs (at);
CREATE INDEX request_logs_team_at ON request_logs (team_id, at);

-- Operational settings (second configuration layer).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                             -- JSON
    origin     TEXT NOT NULL CHECK (origin IN ('seeded', 'explicit')),
    updated_at INTEGER NOT NULL,
    updated_by TEXT
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,                            -- user id, or system:<action>
    action      TEXT NOT NULL,
    target_kind TEXT,
    target_id   TEXT,
    details     TEXT NOT NULL,                            -- JSON, never secrets
    client_addr TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Exactly one row: flips once, when the first admin is created through a bootstrap path.
CREATE TABLE bootstrap_latch (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    bootstrapped_at INTEGER,
    admin_user_id   TEXT,
    method          TEXT
);
INSERT INTO bootstrap_latch (id) VALUES (1);
