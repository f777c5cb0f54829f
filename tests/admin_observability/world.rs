//! The shared world of the observability tests: a gateway with two teams, service accounts
//! `ci` (platform) and `lab` (research), a member and a team owner who can sign in, a fake
//! upstream reporting 10 + 20 tokens per request, some traffic, and helpers to read what the
//! pages and the API list.

use std::time::Duration;

use crate::common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page};
use crate::common::plane::{Issued, issue, post, request_id, wait_until_accepted};
use crate::common::upstream::{Behavior, FakeUpstream};
use crate::common::{Backend, Gateway, Server, TestDb, eventually};
use reqwest::Method;
use serde_json::{Value, json};

pub const MEMBER: &str = "dev@example.com";
pub const OWNER: &str = "lead@example.com";
pub const PASSWORD: &str = "Member-Passphrase-2025";
/// 10 input tokens at $1/M plus 20 output tokens at $2/M (the fake upstream's usage).
pub const COST: i64 = 50;

pub fn config(upstream: &str) -> String {
    format!(
        r#"
auth:
  bootstrap_admin: {{ email: {ADMIN_EMAIL}, name: Admin, require_password_change: false }}
teams: [{{ id: platform, name: Platform }}, {{ id: research, name: Research }}]
users:
  - {{ email: {MEMBER}, name: Dev, teams: [{{ team: platform, role: member }}] }}
  - {{ email: {OWNER}, name: Lead, teams: [{{ team: platform, role: owner }}] }}
service_accounts:
  - {{ id: ci, team: platform, name: CI }}
  - {{ id: lab, team: research, name: Lab }}
providers: [{{ id: up, kind: openai_compat, base_url: "{upstream}" }}]
models:
  - id: small
    description: Small chat model
    max_output_tokens: 512
    routes: [{{ provider: up, model: up-small, pricing: {{ input: "1", output: "2", cached_input: "0.5" }} }}]
  - id: free
    routes: [{{ provider: up, model: up-free }}]
  - id: default
    alias_of: small
request_logs: {{ capture: redacted, max_payload_bytes: 4096 }}
"#
    )
}

/// The gateway's request ids (what keys the logs) of the traffic [`with_traffic`] sends.
pub struct Traffic {
    pub ci: [String; 2],
    pub free: String,
    pub missing: String,
    pub lab: String,
    pub dev: String,
}

impl Traffic {
    pub fn all(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.ci.iter().map(String::as_str).collect();
        v.extend([&self.free, &self.missing, &self.lab, &self.dev].map(String::as_str));
        v
    }
}

pub struct Setup {
    pub _up: FakeUpstream,
    pub db: TestDb,
    pub gw: Gateway,
    pub server: Server,
}

pub async fn setup(backend: Backend) -> Setup {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, &config(&up.base_url))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    // `request_logs.capture` is an operational setting: the file's value goes in with import.
    gw.import_settings().await;
    let server = gw.serve().await;
    // The config seeds users as invited: give them a password so they can sign in.
    for email in [MEMBER, OWNER] {
        let hash = gateway::identity::password::hash(PASSWORD).await.unwrap();
        db.exec(&format!(
            "UPDATE users SET status = 'active', password_hash = '{hash}', \
             must_change_password = (1 = 0) WHERE email = '{email}'"
        ))
        .await;
    }
    Setup {
        _up: up,
        db,
        gw,
        server,
    }
}

pub async fn key(s: &Setup, args: &[&str]) -> Issued {
    let issued = issue(&s.gw, args).await;
    wait_until_accepted(&s.server, &issued.key).await;
    issued
}

pub async fn chat(s: &Setup, key: &str, model: &str, expect: u16) -> String {
    let id = request_id();
    let body = json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]});
    let reply = post(
        &s.server,
        "/v1/chat/completions",
        Some(key),
        &body,
        Some(&id),
    )
    .await;
    assert_eq!(reply.status, expect, "{}", reply.text);
    id
}

/// Sends: two priced and one unpriced request and one for an unknown model as service
/// account `ci` (team platform), one as `lab` (team research), one as the member `dev`
/// (personal, team platform); waits until all are logged and the five served are in the ledger.
pub async fn with_traffic(backend: Backend) -> (Setup, Traffic) {
    let s = setup(backend).await;
    let ci = key(&s, &["--service-account", "ci", "--name", "ci-key"]).await;
    let lab = key(&s, &["--service-account", "lab", "--name", "lab-key"]).await;
    let dev = key(&s, &["--user", MEMBER, "--name", "dev-key"]).await;
    let sent = Traffic {
        ci: [
            chat(&s, &ci.key, "small", 200).await,
            chat(&s, &ci.key, "small", 200).await,
        ],
        free: chat(&s, &ci.key, "free", 200).await,
        missing: chat(&s, &ci.key, "nope", 404).await,
        lab: chat(&s, &lab.key, "small", 200).await,
        dev: chat(&s, &dev.key, "small", 200).await,
    };
    let count = |table: &'static str| {
        let db = &s.db;
        async move {
            let n = db
                .scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
                .await;
            n.parse::<usize>().ok()
        }
    };
    eventually(Duration::from_secs(10), "six log rows", || async {
        (count("request_logs").await == Some(6)).then_some(())
    })
    .await;
    eventually(Duration::from_secs(10), "five ledger rows", || async {
        (count("usage_ledger").await == Some(5)).then_some(())
    })
    .await;
    let id = |client: String| {
        let db = &s.db;
        async move { gateway_id(db, &client).await }
    };
    let t = Traffic {
        ci: [id(sent.ci[0].clone()).await, id(sent.ci[1].clone()).await],
        free: id(sent.free).await,
        missing: id(sent.missing).await,
        lab: id(sent.lab).await,
        dev: id(sent.dev).await,
    };
    (s, t)
}

/// The gateway's own id of the request the client sent with `x-request-id: client`.
pub async fn gateway_id(db: &TestDb, client: &str) -> String {
    db.scalar(&format!(
        "SELECT request_id FROM request_logs WHERE client_request_id = '{client}'"
    ))
    .await
}

/// The `x-request-id` a client sent with the request the gateway calls `id`.
pub async fn client_id(db: &TestDb, id: &str) -> String {
    db.scalar(&format!(
        "SELECT client_request_id FROM request_logs WHERE request_id = '{id}'"
    ))
    .await
}

pub async fn admin(s: &Setup) -> Browser {
    Browser::signed_in(&s.server, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

pub async fn get_ok(b: &mut Browser, path: &str) -> Page {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "GET {path}: {}", page.text);
    page
}

pub async fn api(b: &mut Browser, path: &str) -> Value {
    let page = b.api(Method::GET, path, None, None).await;
    assert_eq!(page.status, 200, "GET {path}: {}", page.text);
    page.json()
}

/// The request ids an API page lists, in order.
pub fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["request_id"].as_str().expect("request_id").to_string())
        .collect()
}

/// The request ids a logs page links to, in order.
pub fn page_ids(page: &Page) -> Vec<String> {
    page.text
        .split("href=\"/admin/logs/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

/// Every logged request id, newest first (by time, then request id), as the database has it.
pub async fn newest_first(db: &TestDb) -> Vec<String> {
    db.rows("SELECT request_id FROM request_logs ORDER BY at DESC, request_id DESC")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// The ids of `order` that are in `wanted`, in `order`'s order.
pub fn only(order: &[String], wanted: &[&str]) -> Vec<String> {
    order
        .iter()
        .filter(|id| wanted.contains(&id.as_str()))
        .cloned()
        .collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// The `href` of the link marked `rel="{rel}"`, if the page has one.
pub fn link(page: &Page, rel: &str) -> Option<String> {
    let end = page.text.find(&format!("rel=\"{rel}\""))?;
    let start = page.text[..end].rfind("href=\"")? + 6;
    let href = page.text[start..end].trim_end().trim_end_matches('"');
    Some(unescape(href))
}
