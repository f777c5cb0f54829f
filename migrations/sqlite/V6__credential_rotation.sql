-- V6: credential rotation. Rotating a credential issues a successor (new secret, same owner,
-- name and grants) and ends the old one: at once (revoked_at) or after a grace period
-- (expires_at). These columns remember that it happened, so the old credential lists as
-- `rotating` while its grace period runs and can never be rotated a second time.
-- Lockstep twin: migrations/postgres/V6__credential_rotation.sql.
ALTER TABLE credentials ADD COLUMN replaced_by TEXT REFERENCES credentials (id);
ALTER TABLE credentials ADD COLUMN rotated_at INTEGER;
