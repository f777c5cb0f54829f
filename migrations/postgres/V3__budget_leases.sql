-- V3: budget enforcement across replicas.
-- Lockstep twin: migrations/sqlite/V3__budget_leases.sql.
--
-- Spend of one budget window = budget_usage.spent_micros (settled and flushed) plus every
-- replica's lease (budget_leases.reserved_micros: spent-but-unflushed, in flight, or unused).
-- A replica takes a slice (lease) before serving and returns what it did not use; a lease
-- whose heartbeat stops is converted to spent, so a dead replica can only over-count by its
-- unused lease, never under-count.
CREATE TABLE budget_usage (
    budget_id    TEXT NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    window_start TIMESTAMPTZ NOT NULL,
    spent_micros BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (budget_id, window_start)
);

CREATE TABLE budget_leases (
    budget_id       TEXT NOT NULL,
    window_start    TIMESTAMPTZ NOT NULL,
    replica_id      TEXT NOT NULL,
    reserved_micros BIGINT NOT NULL,
    heartbeat_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (budget_id, window_start, replica_id),
    FOREIGN KEY (budget_id, window_start) REFERENCES budget_usage (budget_id, window_start)
        ON DELETE CASCADE
);
CREATE INDEX budget_leases_replica ON budget_leases (replica_id);

-- Soft-budget flags and other per-request notes, JSON array.
ALTER TABLE request_logs ADD COLUMN flags TEXT;
