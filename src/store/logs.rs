//! Request-log queries on either engine.

use super::rows::RequestLogRow;
use super::{Exec, Result, postgres, sqlite};

impl Exec<'_> {
    /// Inserts a batch; a replayed request id is ignored (idempotent).
    pub async fn insert_request_logs(&mut self, rows: &[RequestLogRow]) -> Result<()> {
        match self {
            Exec::Sqlite(c) => sqlite::logs::insert_request_logs(c, rows).await,
            Exec::Postgres(c) => postgres::logs::insert_request_logs(c, rows).await,
        }
    }

    /// Newest first.
    pub async fn recent_request_logs(&mut self, limit: i64) -> Result<Vec<RequestLogRow>> {
        match self {
            Exec::Sqlite(c) => sqlite::logs::recent_request_logs(c, limit).await,
            Exec::Postgres(c) => postgres::logs::recent_request_logs(c, limit).await,
        }
    }
}
