//! Data-plane helpers: issuing credentials with the CLI, calling `/v1` with a key, asserting
//! OpenAI-shaped errors, reading SSE payloads, and polling for a request's log row (the log is
//! written asynchronously, in batches).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::{Gateway, Server, TestDb, eventually};

/// Config prefix for data-plane tests: no admin bootstrap, one team, service accounts `ci` and
/// `bots`, and a user `dev@example.com` (seeded as invited; activate it with SQL to issue a
/// personal credential).
pub const BASE: &str = r#"
auth: { bootstrap_admin: { enabled: false } }
teams: [{ id: platform, name: Platform }]
users: [{ email: dev@example.com, name: Dev, teams: [{ team: platform, role: member }] }]
service_accounts:
  - { id: ci, team: platform, name: CI }
  - { id: bots, team: platform, name: Bots }
"#;

/// Tells every replica's credential cache to reload (after changing credentials with SQL).
pub async fn bump_auth_epoch(db: &TestDb) {
    db.exec("UPDATE auth_epoch SET epoch = epoch + 1 WHERE id = 1")
        .await;
}

/// A credential as printed by `credentials create --json`.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub key: String,
}

/// Runs `credentials create <args> --json` and returns the new credential.
pub async fn issue(gw: &Gateway, args: &[&str]) -> Issued {
    let mut all = vec!["credentials", "create"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = gw.run(&all).await;
    out.assert_code(0);
    let v: Value = serde_json::from_str(out.stdout.trim()).expect("credentials create --json");
    Issued {
        id: v["id"].as_str().expect("id").to_string(),
        key: v["key"].as_str().expect("key").to_string(),
    }
}

/// Issues a key for service account `ci` (optionally with more args) and waits until the
/// running server accepts it (its cache reloads when the auth epoch moves).
pub async fn ready_key(gw: &Gateway, server: &Server, extra: &[&str]) -> Issued {
    let mut args = vec!["--service-account", "ci", "--name", "test"];
    args.extend_from_slice(extra);
    let issued = issue(gw, &args).await;
    wait_until_accepted(server, &issued.key).await;
    issued
}

/// Polls `GET /v1/models` with `key` until it is accepted.
pub async fn wait_until_accepted(server: &Server, key: &str) {
    eventually(
        Duration::from_secs(5),
        "the new key to be accepted",
        || async { (get(server, "/v1/models", Some(key)).await.status == 200).then_some(()) },
    )
    .await;
}

/// One `/v1` answer, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an OpenAI-shaped error with this status and code, served as JSON; returns
    /// the `error` object.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "content-type {ct:?}; body: {}",
            self.text
        );
        let error = self.json()["error"].clone();
        assert_eq!(error["code"], code, "{}", self.text);
        assert!(
            error["type"].as_str().is_some_and(|t| !t.is_empty()),
            "error.type missing: {}",
            self.text
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error.message missing: {}",
            self.text
        );
        let object = error.as_object().expect("error object");
        assert!(
            object.contains_key("param"),
            "error.param missing: {}",
            self.text
        );
        error
    }

    /// The gateway's own time, which every `/v1` response must carry.
    #[track_caller]
    pub fn overhead_us(&self) -> u64 {
        self.header("x-gateway-overhead-us")
            .unwrap_or_else(|| panic!("no x-gateway-overhead-us; headers {:?}", self.headers))
            .parse()
            .expect("x-gateway-overhead-us is an integer")
    }
}

async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("read body");
    Reply {
        status,
        headers,
        text,
    }
}

fn authorized(mut req: reqwest::RequestBuilder, key: Option<&str>) -> reqwest::RequestBuilder {
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    req
}

/// `POST path` with a JSON body; `request_id` is sent as `x-request-id` when given.
pub async fn post(
    server: &Server,
    path: &str,
    key: Option<&str>,
    body: &Value,
    request_id: Option<&str>,
) -> Reply {
    let mut req = authorized(super::http().post(server.url(path)), key).json(body);
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    read(req.send().await.expect("request")).await
}

/// `POST path` with raw bytes as an `application/json` body.
pub async fn post_raw(server: &Server, path: &str, key: Option<&str>, body: Vec<u8>) -> Reply {
    let req = authorized(super::http().post(server.url(path)), key)
        .header("content-type", "application/json")
        .body(body);
    read(req.send().await.expect("request")).await
}

/// `GET path`.
pub async fn get(server: &Server, path: &str, key: Option<&str>) -> Reply {
    let req = authorized(super::http().get(server.url(path)), key);
    read(req.send().await.expect("request")).await
}

/// A minimal chat request body.
pub fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// A streaming chat request body.
pub fn chat_stream(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": true})
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.trim().to_string())
        .collect()
}

/// The content deltas of an SSE chat body, concatenated.
pub fn sse_content(body: &str) -> String {
    sse_data(body)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

/// A fresh request id to send as `x-request-id` and find the log row by.
pub fn request_id() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// One `request_logs` row, as the assertions need it.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub status: u16,
    pub error_code: Option<String>,
    pub endpoint: String,
    pub provider: Option<String>,
    pub model_requested: Option<String>,
    pub model_served: Option<String>,
    pub attempts: Vec<Value>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_micros: Option<i64>,
}

fn opt(s: &str) -> Option<String> {
    (s != "NULL").then(|| s.to_string())
}

fn opt_int(s: &str) -> Option<i64> {
    opt(s).map(|v| v.parse().expect("integer column"))
}

/// Reads the log row of `request_id` now, if it has been written.
pub async fn try_log_row(db: &TestDb, request_id: &str) -> Option<LogRow> {
    let sql = format!(
        "SELECT CAST(status AS TEXT), error_code, endpoint, provider_id, model_requested, \
         model_served, attempts, CAST(input_tokens AS TEXT), CAST(output_tokens AS TEXT), \
         CAST(cost_micros AS TEXT) FROM request_logs WHERE (request_id = '{request_id}' OR client_request_id = '{request_id}')"
    );
    let rows = db.rows(&sql).await;
    let r = rows.first()?;
    Some(LogRow {
        status: r[0].parse().expect("status"),
        error_code: opt(&r[1]),
        endpoint: r[2].clone(),
        provider: opt(&r[3]),
        model_requested: opt(&r[4]),
        model_served: opt(&r[5]),
        attempts: serde_json::from_str(&r[6]).expect("attempts is a JSON array"),
        input_tokens: opt_int(&r[7]),
        output_tokens: opt_int(&r[8]),
        cost_micros: opt_int(&r[9]),
    })
}

/// Waits (up to 10 s) for the log row of `request_id`.
pub async fn log_row(db: &TestDb, request_id: &str) -> LogRow {
    eventually(
        Duration::from_secs(10),
        &format!("the request log row of {request_id}"),
        || try_log_row(db, request_id),
    )
    .await
}
