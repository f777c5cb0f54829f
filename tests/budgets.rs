//! Budgets under load: a hard budget is never overshot — not by concurrency, not by several
//! replicas — and the control is not so conservative that it starves callers.
//!
//! The fake upstream reports exactly 10 input and 20 output tokens per request; at $1 / $2 per
//! million tokens every request costs exactly 50 micro-dollars, so a budget of 2 500 µ$ covers
//! exactly 50 requests.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb};

const COST: i64 = 50;
const COVERED: i64 = 50;

fn config(upstream: &str) -> String {
    format!(
        r#"
auth: {{ bootstrap_admin: {{ enabled: false }} }}
teams: [{{ id: limited, name: Limited }}]
service_accounts: [{{ id: worker, team: limited, name: Worker }}]
providers: [{{ id: up, kind: openai_compat, base_url: "{upstream}" }}]
models:
  - id: m
    routes: [{{ provider: up, model: up-m, pricing: {{ input: "1", output: "2" }} }}]
budgets:
  - {{ id: limited-daily, team: limited, cadence: daily, timezone: Europe/Berlin, amount_usd: "0.0025" }}
"#
    )
}

async fn key(gw: &Gateway) -> String {
    let out = gw
        .run(&[
            "credentials",
            "create",
            "--service-account",
            "worker",
            "--name",
            "load",
            "--json",
        ])
        .await;
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    v["key"].as_str().expect("key").to_string()
}

/// Fires `n` concurrent requests spread over `servers`; returns (statuses, 429 bodies).
async fn fire(servers: &[&Server], key: &str, n: usize) -> (Vec<u16>, Vec<serde_json::Value>) {
    let client = common::http();
    let calls = (0..n).map(|i| {
        let url = servers[i % servers.len()].url("/v1/chat/completions");
        let client = client.clone();
        let key = key.to_string();
        async move {
            let resp = client
                .post(url)
                .bearer_auth(key)
                .json(&serde_json::json!({
                    "model": "m", "max_tokens": 20,
                    "messages": [{"role": "user", "content": "hi"}],
                }))
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            (status, body)
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let statuses = results.iter().map(|(s, _)| *s).collect();
    let refused = results
        .into_iter()
        .filter(|(s, _)| *s == 429)
        .map(|(_, b)| b)
        .collect();
    (statuses, refused)
}

async fn ledger_spend(db: &TestDb) -> i64 {
    db.scalar("SELECT CAST(COALESCE(SUM(cost_micros), 0) AS TEXT) FROM usage_ledger WHERE team_id = 'limited'")
        .await
        .parse()
        .expect("number")
}

async fn check_no_overshoot(db: &TestDb, statuses: &[u16], refused: &[serde_json::Value]) {
    let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
    eprintln!("served {ok} of {} requests", statuses.len());
    let other: Vec<&u16> = statuses
        .iter()
        .filter(|s| **s != 200 && **s != 429)
        .collect();
    assert!(other.is_empty(), "unexpected statuses: {other:?}");
    assert!(
        ok <= COVERED,
        "{ok} requests succeeded; the budget covers {COVERED}"
    );
    assert!(
        ok >= 45,
        "only {ok} of {COVERED} coverable requests succeeded: too conservative"
    );
    let spent = ledger_spend(db).await;
    assert_eq!(
        spent,
        ok * COST,
        "ledger holds the cost of every served request"
    );
    assert!(
        spent <= COVERED * COST,
        "recorded spend {spent} exceeds the limit"
    );
    let window_used: i64 = db
        .scalar(
            "SELECT CAST(COALESCE(SUM(spent_micros), 0) AS TEXT) FROM budget_usage \
             WHERE budget_id = 'limited-daily'",
        )
        .await
        .parse()
        .expect("number");
    assert_eq!(
        window_used, spent,
        "settled window spend matches the ledger after shutdown"
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM budget_leases WHERE reserved_micros > 0")
            .await,
        "0",
        "every lease was returned at shutdown"
    );
    let body = &refused[0]["error"];
    assert_eq!(body["type"], "insufficient_quota", "{body}");
    assert_eq!(body["code"], "budget_exceeded", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("team limited") && message.contains("resets at"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_postgres_replicas_under_500_concurrent_requests_never_overshoot_a_hard_budget() {
    let upstream = FakeUpstream::start("up", Behavior::Delay(Duration::from_millis(20))).await;
    let db = TestDb::new(Backend::Postgres).await;
    let gw = Gateway::new(&db, &config(&upstream.base_url));
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    gw.run(&["seed-config"]).await.assert_code(0);
    let key = key(&gw).await;
    let a = gw.serve().await;
    let b = gw.serve().await;
    let c = gw.serve().await;

    let (statuses, refused) = fire(&[&a, &b, &c], &key, 500).await;
    for s in [a, b, c] {
        assert_eq!(s.terminate().await, 0);
    }
    check_no_overshoot(&db, &statuses, &refused).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sqlite_gateway_under_500_concurrent_requests_never_overshoots_a_hard_budget() {
    let upstream = FakeUpstream::start("up", Behavior::Delay(Duration::from_millis(20))).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = Gateway::new(&db, &config(&upstream.base_url));
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    gw.run(&["seed-config"]).await.assert_code(0);
    let key = key(&gw).await;
    let server = gw.serve().await;

    let (statuses, refused) = fire(&[&server], &key, 500).await;
    assert_eq!(server.terminate().await, 0);
    check_no_overshoot(&db, &statuses, &refused).await;
}
