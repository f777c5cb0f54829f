//! Spend-control helpers: a priced config where every request to model `m` costs exactly
//! 50 micro-dollars (the fake upstream reports 10 input + 20 output tokens; $1 / $2 per million),
//! a load driver that never panics on transport errors, and readers for the ledger, budget
//! tables, request-log flags and `gateway spend --json`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{Backend, Gateway, TestDb};

/// Cost of one request to model `m` (10 × $1/M + 20 × $2/M).
pub const COST: i64 = 50;
/// Cost of one request to model `m2` (10 × $2/M + 20 × $4/M).
pub const COST_M2: i64 = 100;

/// Team `acme` with service account `worker`; models `m` (50 µ$ a request), `m2` (100 µ$)
/// and `free` (no pricing). `extra` is appended verbatim (budgets, request_logs).
pub fn config(upstream: &str, extra: &str) -> String {
    format!(
        r#"
auth: {{ bootstrap_admin: {{ enabled: false }} }}
teams: [{{ id: acme, name: Acme }}]
service_accounts: [{{ id: worker, team: acme, name: Worker }}]
providers: [{{ id: up, kind: openai_compat, base_url: "{upstream}" }}]
models:
  - id: m
    routes: [{{ provider: up, model: up-m, pricing: {{ input: "1", output: "2" }} }}]
  - id: m2
    routes: [{{ provider: up, model: up-m2, pricing: {{ input: "2", output: "4" }} }}]
  - id: free
    routes: [{{ provider: up, model: up-free }}]
{extra}
"#
    )
}

/// A daily budget `acme-daily` on team `acme`.
pub fn team_budget(amount_usd: &str, hard: bool) -> String {
    format!(
        "budgets:\n  - {{ id: acme-daily, team: acme, cadence: daily, timezone: Europe/Berlin, \
         amount_usd: \"{amount_usd}\", hard_limit: {hard} }}\n"
    )
}

/// Migrates, seeds and issues a key for service account `worker`; returns the gateway and key.
pub async fn setup(db: &TestDb, yaml: &str) -> (Gateway, String) {
    let gw = Gateway::new(db, yaml);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    gw.run(&["seed-config"]).await.assert_code(0);
    let issued =
        super::plane::issue(&gw, &["--service-account", "worker", "--name", "spend"]).await;
    (gw, issued.key)
}

/// A chat body for `model` asking for at most 20 output tokens.
pub fn chat_body(model: &str) -> Value {
    json!({"model": model, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]})
}

/// A streaming chat body for `model` asking for at most 20 output tokens.
pub fn chat_stream_body(model: &str) -> Value {
    let mut body = chat_body(model);
    body["stream"] = json!(true);
    body
}

/// Sends one chat request; `Some(status)` once the whole response body was read, `None` when
/// the connection failed or broke (the client never saw a complete answer).
pub async fn try_chat(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    model: &str,
    request_id: &str,
) -> Option<u16> {
    try_post(client, url, key, &chat_body(model), request_id).await
}

/// Like [`try_chat`] with any body; a streamed answer counts as complete only with its
/// `data: [DONE]` terminator.
pub async fn try_post(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
    request_id: &str,
) -> Option<u16> {
    let resp = client
        .post(url)
        .bearer_auth(key)
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let text = resp.bytes().await.ok()?;
    if body["stream"] == json!(true) && status == 200 {
        let text = String::from_utf8_lossy(&text);
        text.contains("data: [DONE]").then_some(())?;
    }
    Some(status)
}

/// One request of a load run.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: String,
    /// Index into the `urls` the request went to.
    pub target: usize,
    pub status: Option<u16>,
}

impl Sent {
    pub fn ok(&self) -> bool {
        self.status == Some(200)
    }
}

/// Sends `n` chat requests to model `m`, `concurrency` at a time, each to `urls[pick(i)]`
/// (chosen when it is sent); bumps `done` as each finishes.
pub async fn load(
    urls: &[String],
    key: &str,
    n: usize,
    concurrency: usize,
    pick: impl Fn(usize) -> usize,
    done: &AtomicUsize,
) -> Vec<Sent> {
    let body = chat_body("m");
    load_body(urls, key, &body, n, concurrency, pick, done).await
}

/// [`load`] with any request body.
pub async fn load_body(
    urls: &[String],
    key: &str,
    body: &Value,
    n: usize,
    concurrency: usize,
    pick: impl Fn(usize) -> usize,
    done: &AtomicUsize,
) -> Vec<Sent> {
    let client = super::http();
    let pick = &pick;
    let client = &client;
    futures_util::stream::iter(0..n)
        .map(|i| async move {
            let target = pick(i);
            let id = format!("load-{i}-{}", uuid::Uuid::new_v4().simple());
            let status = try_post(client, &urls[target], key, body, &id).await;
            done.fetch_add(1, Ordering::SeqCst);
            Sent { id, target, status }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

/// An integer query result (SQL must return one row, one column, castable to TEXT).
pub async fn int(db: &TestDb, sql: &str) -> i64 {
    let v = db.scalar(sql).await;
    v.parse()
        .unwrap_or_else(|_| panic!("{sql} returned {v:?}, not an integer"))
}

/// Total ledger cost of team `acme`.
pub async fn ledger_cost(db: &TestDb) -> i64 {
    int(
        db,
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS TEXT) FROM usage_ledger WHERE team_id = 'acme'",
    )
    .await
}

/// Settled spend of budget `acme-daily` over all its windows.
pub async fn budget_spent(db: &TestDb) -> i64 {
    int(
        db,
        "SELECT CAST(COALESCE(SUM(spent_micros), 0) AS TEXT) FROM budget_usage \
         WHERE budget_id = 'acme-daily'",
    )
    .await
}

/// Everything still leased for budget `acme-daily`, by every replica.
pub async fn budget_leased(db: &TestDb) -> i64 {
    int(
        db,
        "SELECT CAST(COALESCE(SUM(reserved_micros), 0) AS TEXT) FROM budget_leases \
         WHERE budget_id = 'acme-daily'",
    )
    .await
}

/// How many rows of `table` have this request id.
pub async fn rows_for(db: &TestDb, table: &str, request_id: &str) -> i64 {
    int(
        db,
        &format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE (request_id = '{request_id}' OR client_request_id = '{request_id}')"),
    )
    .await
}

/// The `flags` JSON array of a request-log row (empty when NULL).
pub async fn flags(db: &TestDb, request_id: &str) -> Vec<String> {
    let v = db
        .scalar(&format!(
            "SELECT COALESCE(flags, '[]') FROM request_logs WHERE (request_id = '{request_id}' OR client_request_id = '{request_id}')"
        ))
        .await;
    serde_json::from_str(&v).unwrap_or_else(|e| panic!("flags {v:?} is not a JSON array: {e}"))
}

/// A timestamp as a SQL literal in the engine's representation (SQLite: unix ms;
/// PostgreSQL: TIMESTAMPTZ).
pub fn ts_sql(backend: Backend, at: DateTime<Utc>) -> String {
    match backend {
        Backend::Sqlite => at.timestamp_millis().to_string(),
        Backend::Postgres => format!("'{}'::timestamptz", at.to_rfc3339()),
    }
}

/// Per-key totals from `gateway spend --json`, summed over days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spend {
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub unpriced_requests: i64,
}

/// Runs `gateway spend --by <by> --json` and sums its rows per key.
pub async fn spend(gw: &Gateway, by: &str) -> BTreeMap<String, Spend> {
    let out = gw.run(&["spend", "--by", by, "--json"]).await;
    out.assert_code(0);
    let rows: Vec<Value> = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("spend --json is not a JSON array ({e}): {}", out.stdout));
    let mut totals: BTreeMap<String, Spend> = BTreeMap::new();
    for r in rows {
        let n = |k: &str| {
            r[k].as_i64()
                .unwrap_or_else(|| panic!("{k} missing or not an integer in {r}"))
        };
        let key = r["key"].as_str().expect("key").to_string();
        assert!(r["day"].is_string(), "day missing in {r}");
        let t = totals.entry(key).or_default();
        t.requests += n("requests");
        t.input_tokens += n("input_tokens");
        t.output_tokens += n("output_tokens");
        t.cost_micros += n("cost_micros");
        t.unpriced_requests += n("unpriced_requests");
    }
    totals
}
