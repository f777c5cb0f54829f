//! Spend survives process death. kill -9 of one PostgreSQL replica mid-load: the budget never
//! under-counts a completed request and over-counts by at most what the dead replica had leased.
//! SIGTERM under load: every request the client saw succeed has its ledger and log rows, and
//! the budget's settled spend equals the ledger with no lease left behind — for plain and for
//! streamed answers, and for a stream the shutdown grace period cuts off.
//!
//! Every request to model `m` costs exactly 50 µ$ (see `common::spend`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::spend::{self, COST, Sent};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Server, TestDb, eventually};

const LOAD: usize = 300;
const CONCURRENCY: usize = 20;

/// Waits until `done` reaches `n`.
async fn until_done(done: &AtomicUsize, n: usize) {
    eventually(
        Duration::from_secs(60),
        &format!("{n} requests to finish"),
        || async { (done.load(Ordering::SeqCst) >= n).then_some(()) },
    )
    .await;
}

/// Sends SIGKILL to `server` and reaps it.
async fn kill_9(mut server: Server) {
    let pid = server.child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -9 {pid} failed");
    let exit = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("killed gateway did not exit")
        .expect("wait");
    assert_eq!(exit.code(), None, "the gateway died of a signal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_load_loses_at_most_its_unused_lease_and_never_under_counts() {
    let upstream = FakeUpstream::start("up", Behavior::Delay(Duration::from_millis(20))).await;
    let db = TestDb::new(Backend::Postgres).await;
    // $0.05 covers 1 000 requests (the load is 300, so nothing is refused) while keeping
    // lease slices at limit/10 = 5 000 µ$, small enough for the upper bound to mean something.
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("0.05", true));
    let (gw, key) = spend::setup(&db, &yaml).await;

    // Replica A serves one request alone, so its lease row (and replica id) is known.
    let a = gw.serve().await;
    let first = fresh_id("first");
    let client = common::http();
    assert_eq!(
        spend::try_chat(&client, &a.url("/v1/chat/completions"), &key, "m", &first).await,
        Some(200)
    );
    let a_replica = db.scalar("SELECT replica_id FROM budget_leases").await;
    let b = gw.serve().await;

    let urls = [a.url("/v1/chat/completions"), b.url("/v1/chat/completions")];
    let killed = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let pick = |i: usize| {
        if killed.load(Ordering::SeqCst) {
            1
        } else {
            i % 2
        }
    };
    let killer = async {
        until_done(&done, LOAD / 2).await;
        killed.store(true, Ordering::SeqCst);
        kill_9(a).await;
        // A can no longer write: this is what it held when it died.
        spend::int(
            &db,
            &format!(
                "SELECT CAST(reserved_micros AS TEXT) FROM budget_leases \
                 WHERE replica_id = '{a_replica}'"
            ),
        )
        .await
    };
    let (sent, dead_lease) = tokio::join!(
        spend::load(&urls, &key, LOAD, CONCURRENCY, pick, &done),
        killer
    );

    let ok: Vec<&Sent> = sent.iter().filter(|s| s.ok()).collect();
    let unexpected: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.status.is_some() && !s.ok())
        .collect();
    assert!(unexpected.is_empty(), "non-200 answers: {unexpected:?}");
    // Requests cut off on A: served or not, the client never saw them complete. If A settled
    // and flushed one just before dying, its cost is recorded without being "completed".
    let cut_off = sent.iter().filter(|s| s.target == 0 && !s.ok()).count() as i64;
    let survivor_failures = sent.iter().filter(|s| s.target == 1 && !s.ok()).count();
    assert_eq!(
        survivor_failures, 0,
        "the surviving replica failed requests"
    );
    assert!(ok.len() >= LOAD / 2, "only {} requests succeeded", ok.len());

    // Once A's heartbeat is older than the stale limit, the next replica to lease for the
    // window reclaims A's lease as spent.
    eventually(
        Duration::from_secs(20),
        "the dead replica's lease to go stale",
        || async {
            let stale = db
                .scalar(&format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM budget_leases WHERE replica_id = \
                     '{a_replica}' AND heartbeat_at < now() - interval '11 seconds'"
                ))
                .await;
            (stale == "1").then_some(())
        },
    )
    .await;
    let restarted = gw.serve().await;
    let last = fresh_id("after-restart");
    let url = restarted.url("/v1/chat/completions");
    assert_eq!(
        spend::try_chat(&client, &url, &key, "m", &last).await,
        Some(200)
    );
    eventually(
        Duration::from_secs(20),
        "the dead replica's lease to be reclaimed",
        || async {
            let left = db
                .scalar(&format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM budget_leases WHERE replica_id = '{a_replica}'"
                ))
                .await;
            (left == "0").then_some(())
        },
    )
    .await;
    assert_eq!(restarted.terminate().await, 0);
    assert_eq!(b.terminate().await, 0);

    // first + load + last.
    let completed = (ok.len() as i64 + 2) * COST;
    let used = spend::budget_spent(&db).await + spend::budget_leased(&db).await;
    eprintln!(
        "completed {} requests ({completed} µ$), {cut_off} cut off on A; A held {dead_lease} µ$ \
         when killed; window used {used} µ$",
        ok.len() + 2
    );
    assert!(
        used >= completed,
        "the window counts {used} µ$ but completed requests cost {completed} µ$: spend was lost"
    );
    assert!(
        used <= completed + dead_lease + cut_off * COST,
        "the window counts {used} µ$: more than completed {completed} + A's lease {dead_lease} \
         + {cut_off} cut-off requests"
    );

    // The survivor's completed requests (and the restarted replica's) are all in the ledger.
    for s in ok.iter().filter(|s| s.target == 1) {
        assert_eq!(
            spend::rows_for(&db, "usage_ledger", &s.id).await,
            1,
            "ledger row of {}",
            s.id
        );
    }
    assert_eq!(spend::rows_for(&db, "usage_ledger", &last).await, 1);
    let ledger = spend::ledger_cost(&db).await;
    assert!(
        ledger <= used,
        "ledger {ledger} µ$ exceeds the window's {used} µ$"
    );
}

fn fresh_id(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4().simple())
}

/// One replica under load, SIGTERMed halfway through; checks what it left behind.
async fn sigterm_under_load(backend: Backend, behavior: Behavior, body: serde_json::Value) {
    let upstream = FakeUpstream::start("up", behavior).await;
    let db = TestDb::new(backend).await;
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("1", true));
    let (gw, key) = spend::setup(&db, &yaml).await;
    let server = gw.serve().await;
    let urls = [server.url("/v1/chat/completions")];
    let done = AtomicUsize::new(0);
    let n = 200;
    let stopper = async {
        until_done(&done, n / 2).await;
        server.terminate().await
    };
    let (sent, code) = tokio::join!(
        spend::load_body(&urls, &key, &body, n, CONCURRENCY, |_| 0, &done),
        stopper
    );
    assert_eq!(code, 0, "gateway exit code after SIGTERM");

    let ok: Vec<&Sent> = sent.iter().filter(|s| s.ok()).collect();
    eprintln!("{} of {n} requests completed before shutdown", ok.len());
    assert!(ok.len() >= n / 2, "only {} requests succeeded", ok.len());
    // The process has exited: whatever it flushed is all there will ever be.
    for s in &ok {
        assert_eq!(
            spend::rows_for(&db, "request_logs", &s.id).await,
            1,
            "request log row of {}",
            s.id
        );
        assert_eq!(
            spend::rows_for(&db, "usage_ledger", &s.id).await,
            1,
            "ledger row of {}",
            s.id
        );
    }
    let ledger = spend::ledger_cost(&db).await;
    assert!(ledger >= ok.len() as i64 * COST, "ledger {ledger} µ$");
    let (spent, leased) = (
        spend::budget_spent(&db).await,
        spend::budget_leased(&db).await,
    );
    assert_eq!(
        (spent, leased),
        (ledger, 0),
        "after shutdown the budget's settled spend equals the ledger ({ledger} µ$) and every \
         lease was returned; got (settled, still leased)"
    );
}

async fn sigterm_under_load_leaves_a_ledger_row_and_a_log_row_for_every_completed_request(
    backend: Backend,
) {
    let delay = Behavior::Delay(Duration::from_millis(20));
    sigterm_under_load(backend, delay, spend::chat_body("m")).await;
}

/// Streams settle their budget from a spawned task when the body ends, which can race the
/// final flush at shutdown (so when it fails, it fails intermittently: one stream's cost
/// missing from settled spend and its reservation still leased).
async fn sigterm_under_streaming_load_settles_and_records_every_completed_stream(backend: Backend) {
    let slow = Behavior::Slow {
        interval: Duration::from_millis(5),
        chunks: 4,
    };
    sigterm_under_load(backend, slow, spend::chat_stream_body("m")).await;
}

/// A stream still running when the shutdown grace period (5 s in tests) runs out is cut off,
/// but the upstream has already billed for what was relayed: its spend must still reach the
/// ledger and the budget, and its lease must not be left behind.
async fn a_stream_cut_off_by_the_shutdown_grace_period_is_still_recorded(backend: Backend) {
    let slow = Behavior::Slow {
        interval: Duration::from_millis(500),
        chunks: 40,
    };
    let upstream = FakeUpstream::start("up", slow).await;
    let db = TestDb::new(backend).await;
    let yaml = spend::config(&upstream.base_url, &spend::team_budget("1", true));
    let (gw, key) = spend::setup(&db, &yaml).await;
    let server = gw.serve().await;
    let id = fresh_id("cut-off");
    let resp = common::http()
        .post(server.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("x-request-id", &id)
        .json(&spend::chat_stream_body("m"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    // The first content chunk has arrived: the upstream is billing.
    let first = futures_util::StreamExt::next(&mut body).await;
    assert!(matches!(first, Some(Ok(_))), "{first:?}");

    assert_eq!(server.terminate().await, 0);
    drop(body);
    let rows = (
        spend::rows_for(&db, "request_logs", &id).await,
        spend::rows_for(&db, "usage_ledger", &id).await,
        spend::budget_leased(&db).await,
    );
    assert_eq!(
        rows,
        (1, 1, 0),
        "(log rows, ledger rows, µ$ still leased) of a stream cut off at shutdown"
    );
    assert_eq!(
        spend::budget_spent(&db).await,
        spend::ledger_cost(&db).await
    );
}

both_backends!(
    sigterm_under_load_leaves_a_ledger_row_and_a_log_row_for_every_completed_request,
    sigterm_under_streaming_load_settles_and_records_every_completed_stream,
    a_stream_cut_off_by_the_shutdown_grace_period_is_still_recorded,
);
