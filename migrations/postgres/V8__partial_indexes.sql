-- V8: the request log's and the ledger's indexes on columns that are NULL for most rows skip
-- those rows: client_request_id (most clients send no x-request-id), user_id (NULL for service
-- accounts) and service_account_id (NULL for personal credentials). Every lookup by these
-- columns compares them with a value, which implies IS NOT NULL, so the same queries use
-- them; and each request-log and ledger insert updates up to three fewer b-trees.
-- Lockstep twin: migrations/sqlite/V8__partial_indexes.sql.
DROP INDEX request_logs_client_request_id;
CREATE INDEX request_logs_client_request_id ON request_logs (client_request_id)
  WHERE client_request_id IS NOT NULL;
DROP INDEX usage_ledger_client_request_id;
CREATE INDEX usage_ledger_client_request_id ON usage_ledger (client_request_id)
  WHERE client_request_id IS NOT NULL;
DROP INDEX usage_ledger_user_at;
CREATE INDEX usage_ledger_user_at ON usage_ledger (user_id, at) WHERE user_id IS NOT NULL;
DROP INDEX usage_ledger_sa_at;
CREATE INDEX usage_ledger_sa_at ON usage_ledger (service_account_id, at)
  WHERE service_account_id IS NOT NULL;
