-- V2: what the data-plane credential cache needs.
-- Lockstep twin: migrations/postgres/V2__credential_cache.sql.

-- A personal credential can be bound to one of its user's teams (whose budgets then apply);
-- service-account credentials take their account's team.
ALTER TABLE credentials ADD COLUMN team_id TEXT REFERENCES teams (id);

-- Bumped in the same transaction as every change that can invalidate a cached credential
-- (issue, revoke, owner or service-account status). Every replica polls this one row and
-- reloads its cache when it moves, so revocation reaches all replicas within a second.
CREATE TABLE auth_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, epoch) VALUES (1, 0);
