-- V7: the gateway's own request id is the key of request_logs and usage_ledger; the id a client
-- sent in x-request-id is kept beside it for correlation. (A client-chosen key could collide
-- with another request and silently drop its spend.)
-- Lockstep twin: migrations/postgres/V7__client_request_ids.sql.
ALTER TABLE request_logs ADD COLUMN client_request_id TEXT;
ALTER TABLE usage_ledger ADD COLUMN client_request_id TEXT;
CREATE INDEX request_logs_client_request_id ON request_logs (client_request_id);
CREATE INDEX usage_ledger_client_request_id ON usage_ledger (client_request_id);
