//! The budget gate's database side, run off the hot path: writing settled spend, returning
//! idle or tight leases (periodically, and every lease at shutdown), forgetting finished
//! windows, and the lease heartbeat that tells other replicas this one is alive.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::gate::{BudgetGate, WindowState};
use super::lease;
use crate::store::StoreError;

/// An unused lease is returned after this long without requests.
const IDLE_RETURN: Duration = Duration::from_millis(300);

impl BudgetGate {
    /// Writes settled spend and returns idle or tight leases. Called periodically, and with
    /// `all` at shutdown to give every lease back.
    pub async fn flush(&self, all: bool) {
        let windows: Vec<Arc<WindowState>> = self
            .windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let now = Utc::now();
        for w in windows {
            if let Err(e) = self.flush_one(&w, all, now).await {
                tracing::warn!(budget = %w.budget_id, error = %e, "budget flush failed; will retry");
            }
        }
        self.prune(now);
    }

    /// Writes this window's settled spend and, when due, gives its unused lease back. The
    /// amounts are taken out under the lock and the database is called without it, so
    /// requests are never held up by a flush; on failure they are put back for the next try.
    pub(super) async fn flush_one(
        &self,
        w: &WindowState,
        all: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (spent, returned) = {
            let mut l = w.local();
            let idle =
                l.inflight == 0 && l.last_activity.is_none_or(|t| t.elapsed() >= IDLE_RETURN);
            let give_back = all || l.tight || idle || l.lease < 0 || now >= w.end;
            let returned = if give_back { l.lease } else { 0 };
            if l.unflushed == 0 && returned == 0 {
                return Ok(());
            }
            let spent = l.unflushed;
            l.unflushed = 0;
            l.lease -= returned;
            (spent, returned)
        };
        match lease::settle(&self.store, w.key(), &self.replica_id, spent, returned, now).await {
            Ok(total) => {
                w.local().known_spent = total;
                w.changed.notify_waiters();
                Ok(())
            }
            Err(e) => {
                let mut l = w.local();
                l.unflushed += spent;
                l.lease += returned;
                Err(e)
            }
        }
    }

    /// Forgets finished windows that hold nothing.
    fn prune(&self, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.retain(|_, w| {
            if now < w.end {
                return true;
            }
            let l = w.local();
            l.lease != 0 || l.inflight != 0 || l.unflushed != 0
        });
    }

    /// Marks this replica's leases alive.
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let mut tx = self.store.begin().await?;
        tx.ex()
            .heartbeat_leases(&self.replica_id, Utc::now())
            .await?;
        tx.commit().await
    }
}
