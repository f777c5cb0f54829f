//! The budget gate on the `/v1` hot path: reserve a request's maximum cost against every hard
//! budget that applies before any provider call, settle to the real cost afterwards.
//!
//! Common case: the reservation comes out of this replica's in-memory lease — a mutex and a
//! subtraction, no database write. That mutex is a plain one, held for nanoseconds and never
//! across an `.await`: an async mutex would make a request that finds it taken yield and wait
//! a whole round of its lane's run queue, and under load such waits chain into a convoy.
//!
//! Only when the lease runs dry does the replica take a new slice from the database
//! ([`super::lease::acquire`]), one refill per window at a time while requests the lease still
//! covers go on. Near exhaustion slices shrink to the exact need and settlements are flushed at
//! once, so replicas cannot jointly overshoot and waiting callers see budget freed by others
//! promptly. A request that cannot be covered waits
//! briefly while other reservations are still in flight, then gets `budget_exceeded`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

pub use super::defs::{BudgetDef, BudgetError, Scope};
use super::defs::{Defs, def};
use super::lease::{self, Acquire};
pub use super::reservation::Reservation;
use crate::credentials::Principal;
use crate::store::budgets::WindowKey;
use crate::store::{Store, StoreError};

/// How long a request may wait for budget held by in-flight requests to come back.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// How often a waiting window re-asks the database.
const RETRY_DB: Duration = Duration::from_millis(25);

#[derive(Debug, Default)]
pub(super) struct Local {
    /// Leased, not yet given to a request (negative after an under-estimate).
    pub(super) lease: i64,
    /// Reserved by requests in flight.
    pub(super) inflight: i64,
    /// Spent, not yet written to the window's settled spend.
    pub(super) unflushed: i64,
    pub(super) tight: bool,
    /// Settled spend of the window as last seen in the database.
    pub(super) known_spent: i64,
    pub(super) last_refusal: Option<Instant>,
    pub(super) last_activity: Option<Instant>,
}

impl Local {
    /// Takes `amount` out of the lease for a request, if the lease covers it.
    fn take(&mut self, amount: i64) -> bool {
        self.last_activity = Some(Instant::now());
        if self.lease < amount {
            return false;
        }
        self.lease -= amount;
        self.inflight += amount;
        true
    }
}

pub(super) struct WindowState {
    pub(super) budget_id: String,
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    /// Never held across an `.await`; take it with [`WindowState::local`].
    local: Mutex<Local>,
    /// Held across a lease refill's database round trip, so one refill runs at a time per
    /// window while requests the lease still covers go on.
    refill: tokio::sync::Mutex<()>,
    pub(super) changed: Notify,
}

impl WindowState {
    pub(super) fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn key(&self) -> WindowKey<'_> {
        WindowKey {
            budget_id: &self.budget_id,
            window_start: self.start,
        }
    }
}

/// See the module docs.
pub struct BudgetGate {
    pub(super) store: Store,
    pub(super) replica_id: String,
    defs: RwLock<Arc<Defs>>,
    pub(super) windows: Mutex<HashMap<(String, i64), Arc<WindowState>>>,
    /// Settlements running in tasks of their own (from `Drop`), which shutdown waits for.
    pub(super) pending: std::sync::atomic::AtomicUsize,
    pub(super) settled: Notify,
}

impl BudgetGate {
    pub async fn load(store: Store) -> Result<Arc<BudgetGate>, StoreError> {
        let gate = Arc::new(BudgetGate {
            store,
            replica_id: crate::store::new_id(),
            defs: RwLock::new(Arc::new(Defs::default())),
            windows: Mutex::new(HashMap::new()),
            pending: std::sync::atomic::AtomicUsize::new(0),
            settled: Notify::new(),
        });
        gate.reload().await?;
        Ok(gate)
    }

    /// Re-reads budget definitions (after seeding or an edit).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let rows = self.store.conn().await?.ex().list_budgets().await?;
        let mut defs = Defs::default();
        for row in rows {
            match def(row) {
                Ok(d) => defs
                    .by_owner
                    .entry(d.scope_id.clone())
                    .or_default()
                    .push(Arc::new(d)),
                Err(why) => tracing::error!("ignoring budget: {why}"),
            }
        }
        let defs = Arc::new(defs);
        let old = std::mem::replace(
            &mut *self.defs.write().unwrap_or_else(|p| p.into_inner()),
            defs.clone(),
        );
        let (amounts, old_amounts) = (defs.limits(), old.limits());
        // A deleted budget's windows are forgotten (its rows are gone with it); a changed one's
        // leases are handed back at the next flush, so the new amount holds on every replica.
        let mut changed = Vec::new();
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, w| match amounts.get(w.budget_id.as_str()) {
                None => false,
                Some(now) => {
                    if old_amounts.get(w.budget_id.as_str()) != Some(now) {
                        changed.push(w.clone());
                    }
                    true
                }
            });
        for w in changed {
            w.local().tight = true;
        }
        Ok(())
    }

    fn applicable(&self, p: &Principal) -> Vec<Arc<BudgetDef>> {
        let defs = self.defs.read().unwrap_or_else(|p| p.into_inner()).clone();
        if defs.by_owner.is_empty() {
            return Vec::new();
        }
        let owners = [
            (Scope::User, p.user_id.as_ref()),
            (Scope::ServiceAccount, p.service_account_id.as_ref()),
            (Scope::Team, p.team_id.as_ref()),
        ];
        let mut out = Vec::new();
        for (scope, id) in owners {
            if let Some(list) = id.and_then(|id| defs.by_owner.get(id.as_str())) {
                out.extend(list.iter().filter(|d| d.scope == scope).cloned());
            }
        }
        out
    }

    fn window(&self, def: &BudgetDef, now: DateTime<Utc>) -> Arc<WindowState> {
        let (start, end) = def
            .windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .window(now);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .entry((def.id.clone(), start.timestamp_millis()))
            .or_insert_with(|| {
                Arc::new(WindowState {
                    budget_id: def.id.clone(),
                    start,
                    end,
                    local: Mutex::new(Local::default()),
                    refill: tokio::sync::Mutex::new(()),
                    changed: Notify::new(),
                })
            })
            .clone()
    }

    /// Reserves `amount` micro-dollars against every hard budget of `p`.
    pub async fn reserve(
        self: &Arc<Self>,
        p: &Principal,
        amount: i64,
    ) -> Result<Reservation, BudgetError> {
        let mut reservation = Reservation {
            gate: Some(self.clone()),
            held: Vec::new(),
            amount,
            flags: Vec::new(),
        };
        let now = Utc::now();
        for def in self.applicable(p) {
            let w = self.window(&def, now);
            if def.hard {
                self.take(&def, &w, amount).await?;
                reservation.held.push((w, amount));
            } else {
                let l = w.local();
                if l.known_spent + l.unflushed + amount > def.amount {
                    reservation
                        .flags
                        .push(format!("soft_budget_exceeded:{}", def.id));
                }
                drop(l);
                reservation.held.push((w, 0));
            }
        }
        Ok(reservation)
    }

    async fn take(&self, def: &BudgetDef, w: &WindowState, amount: i64) -> Result<(), BudgetError> {
        let deadline = Instant::now() + MAX_WAIT;
        loop {
            if w.local().take(amount) {
                return Ok(());
            }
            let refilled = {
                let _refilling = w.refill.lock().await;
                // Another request may have refilled the lease while this one waited.
                if w.local().take(amount) {
                    return Ok(());
                }
                self.refill(def, w, amount).await?
            };
            if refilled {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(exceeded(def, w));
            }
            tokio::select! {
                () = w.changed.notified() => {}
                () = tokio::time::sleep(RETRY_DB) => {}
            }
        }
    }

    /// Asks the database for more lease (unless it refused a moment ago) and takes `amount`
    /// out of it: `Ok(true)` when taken, `Ok(false)` to wait and retry. The answer is applied
    /// as deltas, so what requests took or settled during the round trip stays counted.
    async fn refill(
        &self,
        def: &BudgetDef,
        w: &WindowState,
        amount: i64,
    ) -> Result<bool, BudgetError> {
        let need = {
            let l = w.local();
            if l.last_refusal.is_some_and(|t| t.elapsed() < RETRY_DB) {
                return Ok(false);
            }
            amount - l.lease
        };
        // Boxed: the database round trip's future is kilobytes, and unboxed it would sit in
        // every request's future (moved several times per request) though the fast path never
        // takes it.
        let answer = Box::pin(lease::acquire(
            &self.store,
            w.key(),
            &self.replica_id,
            need,
            def.amount,
            Utc::now(),
        ))
        .await
        .map_err(|e| BudgetError::Unavailable(e.to_string()))?;
        let mut l = w.local();
        match answer {
            Acquire::Granted {
                granted,
                tight,
                spent,
            } => {
                l.known_spent = spent;
                l.lease += granted - amount;
                l.inflight += amount;
                l.tight = tight;
                l.last_refusal = None;
                Ok(true)
            }
            Acquire::Refused {
                others_reserved,
                spent,
            } => {
                l.known_spent = spent;
                l.tight = true;
                l.last_refusal = Some(Instant::now());
                if others_reserved == 0 && l.inflight == 0 {
                    return Err(exceeded(def, w));
                }
                Ok(false)
            }
        }
    }
}

fn exceeded(def: &BudgetDef, w: &WindowState) -> BudgetError {
    BudgetError::Exceeded {
        budget_id: def.id.clone(),
        scope: def.scope.as_str(),
        scope_id: def.scope_id.clone(),
        limit: crate::budgets::money::MicroUsd::from_micros(def.amount).to_string(),
        resets_at: w.end.with_timezone(&def.tz).to_rfc3339(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `/v1` request awaits `reserve` and `settle`, and its future is moved several
    /// times. So those futures must not carry the kilobytes of the database round trips that
    /// only lease refills and tight settlements take (4.8 KB each when they did).
    #[tokio::test]
    async fn the_per_request_budget_futures_stay_small() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::config::DbUrl::Sqlite {
            path: dir.path().join("gateway.db"),
        };
        let store = Store::open(&url).await.unwrap();
        crate::store::migrate::apply(&store).await.unwrap();
        let gate = BudgetGate::load(store).await.unwrap();
        let caller = Principal {
            credential_id: "cred".into(),
            user_id: None,
            service_account_id: Some("sa".into()),
            team_id: Some("team".into()),
        };

        let reserve = gate.reserve(&caller, 1);
        let size = std::mem::size_of_val(&reserve);
        assert!(size <= 1024, "reserve's future is {size} bytes");
        let settle = reserve.await.unwrap().settle(1);
        let size = std::mem::size_of_val(&settle);
        assert!(size <= 1024, "settle's future is {size} bytes");
        settle.await;
    }
}
