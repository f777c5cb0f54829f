//! [`Reservation`]: budget held for one request by the [`BudgetGate`]. Settle it with the
//! real cost; dropping it unsettled releases everything (nothing was spent). Settling puts the
//! real cost into the window's local state and, when the window is tight, flushes at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::gate::{BudgetGate, WindowState};

/// Budget held for one request; settle it, or dropping it releases everything.
pub struct Reservation {
    pub(super) gate: Option<Arc<BudgetGate>>,
    pub(super) held: Vec<(Arc<WindowState>, i64)>,
    pub(super) amount: i64,
    /// Soft budgets this request runs over (logged, never blocking).
    pub flags: Vec<String>,
}

impl Reservation {
    /// A reservation that holds nothing (no budgets apply).
    pub fn none() -> Reservation {
        Reservation {
            gate: None,
            held: Vec::new(),
            amount: 0,
            flags: Vec::new(),
        }
    }

    /// The reserved maximum.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// Like [`Reservation::settle`], for callers that cannot await (stream teardown).
    pub fn settle_detached(mut self, actual: i64) {
        if let Some(gate) = self.gate.take() {
            gate.settle_later(std::mem::take(&mut self.held), actual);
        }
    }

    /// Records the real cost and releases the rest.
    pub async fn settle(mut self, actual: i64) {
        let Some(gate) = self.gate.take() else {
            return;
        };
        for (w, reserved) in std::mem::take(&mut self.held) {
            gate.settle_window(&w, reserved, actual).await;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // Not settled: nothing was spent (the request failed before any upstream answer).
        let Some(gate) = self.gate.take() else {
            return;
        };
        let held = std::mem::take(&mut self.held);
        if !held.is_empty() {
            gate.settle_later(held, 0);
        }
    }
}

/// Settling: at once, or in a task of its own when the caller cannot await.
impl BudgetGate {
    /// Settles in a task of its own (for callers that cannot await, i.e. `Drop`); shutdown
    /// waits for these with [`BudgetGate::drain`] before its final flush.
    pub(super) fn settle_later(self: Arc<Self>, held: Vec<(Arc<WindowState>, i64)>, actual: i64) {
        use std::sync::atomic::Ordering;
        self.pending.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            for (w, reserved) in held {
                self.settle_window(&w, reserved, actual).await;
            }
            self.pending.fetch_sub(1, Ordering::SeqCst);
            self.settled.notify_waiters();
        });
    }

    /// Waits (at most `limit`) until settlements started from `Drop` have landed.
    pub async fn drain(&self, limit: Duration) {
        use std::sync::atomic::Ordering;
        let deadline = tokio::time::Instant::now() + limit;
        while self.pending.load(Ordering::SeqCst) > 0 {
            let notified = self.settled.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!("budget settlements still pending at shutdown");
                break;
            }
        }
    }

    pub(super) async fn settle_window(&self, w: &WindowState, reserved: i64, actual: i64) {
        let flush_now = {
            let mut l = w.local();
            l.inflight -= reserved;
            l.lease += reserved - actual;
            l.unflushed += actual;
            l.last_activity = Some(Instant::now());
            l.tight || l.lease < 0
        };
        // Boxed for the same reason as the lease refill in `BudgetGate::take`.
        if flush_now && let Err(e) = Box::pin(self.flush_one(w, false, Utc::now())).await {
            tracing::warn!(budget = %w.budget_id, error = %e, "budget settle flush failed; will retry");
        }
        w.changed.notify_waiters();
    }
}
