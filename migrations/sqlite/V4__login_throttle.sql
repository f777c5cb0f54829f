-- V4: sign-in throttling. One row per failed sign-in, keyed by account ("email:<addr>") and by
-- client address ("addr:<ip>"); the same rules apply whether or not the account exists.
-- Lockstep twin: migrations/postgres/V4__login_throttle.sql.
CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX sessions_token ON sessions (token_hash) WHERE ended_at IS NULL;
