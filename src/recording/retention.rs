//! Request-log retention: delete rows older than a cut-off in batches (short transactions, so
//! a large purge never holds a long lock). The usage ledger is never purged: spend totals
//! survive.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{Store, StoreError};

/// What a purge did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct PurgeReport {
    pub cutoff: DateTime<Utc>,
    pub matched: i64,
    pub deleted: u64,
    pub batches: u32,
    pub dry_run: bool,
    /// Ledger spend total, unchanged by the purge.
    pub ledger_total_micros: i64,
}

/// Deletes request logs older than `cutoff`, `batch` rows per transaction.
pub async fn purge(
    store: &Store,
    cutoff: DateTime<Utc>,
    batch: i64,
    dry_run: bool,
) -> Result<PurgeReport, StoreError> {
    let mut conn = store.conn().await?;
    let matched = conn.ex().count_request_logs_before(cutoff).await?;
    drop(conn);
    let mut deleted = 0u64;
    let mut batches = 0u32;
    if !dry_run {
        loop {
            let mut tx = store.begin().await?;
            let n = tx
                .ex()
                .delete_request_logs_before(cutoff, batch.max(1))
                .await?;
            tx.commit().await?;
            if n == 0 {
                break;
            }
            deleted += n;
            batches += 1;
        }
    }
    let ledger_total_micros = store.conn().await?.ex().ledger_total().await?;
    Ok(PurgeReport {
        cutoff,
        matched,
        deleted,
        batches,
        dry_run,
        ledger_total_micros,
    })
}
