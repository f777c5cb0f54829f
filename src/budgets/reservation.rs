//! [`Reservation`]: budget held for one request by the [`BudgetGate`]. Settle it with the
//! real cost; dropping it unsettled releases everything (nothing was spent).

use std::sync::Arc;

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
