//! Request-log retention: delete rows older than a cut-off in batches (short transactions, so
//! a large purge never holds a long lock), on demand (`gateway purge-request-logs`) or in the
//! background per the `request_logs.retention_days` setting ([`enforce`]). The usage ledger is
//! never purged: spend totals survive.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use crate::settings::LiveSettings;
use crate::store::{Store, StoreError};

/// How often [`enforce`] looks at the setting (a purge runs only when one is due).
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// While the setting stays the same, a purge runs this often.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Rows deleted per transaction by the background purge.
const BATCH: i64 = 5000;

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

/// Applies `request_logs.retention_days` until `stop` turns true: purges at once when the
/// setting is switched on or changed (on every replica, within seconds), then hourly. With
/// the setting at 0 nothing is deleted.
pub async fn enforce(store: Store, settings: Arc<LiveSettings>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(i64, Instant)> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
        let days = settings.current().retention_days;
        if days <= 0 {
            last = None;
            continue;
        }
        if last.is_some_and(|(d, at)| d == days && at.elapsed() < PURGE_EVERY) {
            continue;
        }
        let cutoff = crate::store::now() - chrono::Duration::days(days);
        match purge(&store, cutoff, BATCH, false).await {
            Ok(report) => {
                if report.deleted > 0 {
                    tracing::info!(
                        deleted = report.deleted,
                        retention_days = days,
                        "request-log retention purged old rows"
                    );
                }
                last = Some((days, Instant::now()));
            }
            Err(e) => tracing::warn!(error = %e, "request-log retention purge failed"),
        }
    }
}
