//! The budget gate while a lease refill waits on the database: requests the replica's lease
//! still covers are served at once instead of queueing behind the refill. Both engines.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, TimeZone, Utc};
use common::{Backend, TestDb};
use gateway::budgets::gate::BudgetGate;
use gateway::credentials::Principal;
use gateway::store::budget_admin::NewBudgetRow;
use gateway::store::budgets::WindowKey;

const LIMIT: i64 = 1_000_000;

fn caller() -> Principal {
    Principal {
        credential_id: "cred".into(),
        user_id: None,
        service_account_id: Some("sa".into()),
        team_id: Some("team".into()),
    }
}

async fn requests_the_lease_covers_do_not_wait_for_a_refill(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.migrated_store().await;
    let now = Utc::now();
    let mut tx = store.begin().await.unwrap();
    let budget = NewBudgetRow {
        id: "team-monthly".into(),
        scope_kind: "team",
        scope_id: "team".into(),
        cadence: "monthly",
        timezone: "UTC".into(),
        amount_micros: LIMIT,
        hard_limit: true,
        origin: "admin",
    };
    tx.ex().insert_budget(&budget, now).await.unwrap();
    tx.commit().await.unwrap();
    let gate = BudgetGate::load(store.clone()).await.unwrap();

    // The first request leases a slice (a tenth of the limit) and keeps 10 µ$ of it.
    let first = gate.reserve(&caller(), 10).await.unwrap();

    // Another replica's transaction holds the window's row, so the next refill waits.
    let window = WindowKey {
        budget_id: "team-monthly",
        window_start: Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .unwrap(),
    };
    let mut other = store.begin().await.unwrap();
    other.ex().lock_window(window, "other").await.unwrap();

    // More than the lease holds: this one must go to the database and wait there.
    let big = tokio::spawn({
        let gate = Arc::clone(&gate);
        async move { gate.reserve(&caller(), LIMIT / 2).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!big.is_finished(), "the refill did not wait for the lock");

    // Small requests the lease covers go through meanwhile.
    for _ in 0..3 {
        let small = tokio::time::timeout(Duration::from_secs(1), gate.reserve(&caller(), 10))
            .await
            .expect("a request the lease covers waited for another request's refill")
            .unwrap();
        small.settle(10).await;
    }
    assert!(!big.is_finished());

    other.commit().await.unwrap();
    let big = tokio::time::timeout(Duration::from_secs(10), big)
        .await
        .expect("the refill finished once the lock was released")
        .unwrap()
        .expect("half the limit is still available");
    big.settle(0).await;
    first.settle(10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_requests_the_lease_covers_do_not_wait_for_a_refill() {
    requests_the_lease_covers_do_not_wait_for_a_refill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_requests_the_lease_covers_do_not_wait_for_a_refill() {
    requests_the_lease_covers_do_not_wait_for_a_refill(Backend::Postgres).await;
}
