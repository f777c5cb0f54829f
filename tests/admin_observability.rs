//! The observability views over HTTP against `gateway serve`: request logs (filters, keyset
//! pages, detail with attempts and payload), spend by key and day (with its SVG chart and
//! unpriced requests counted), the audit log and the model catalogue — each as a page and as
//! `/api/v1/admin/*` JSON with the same data and the same scope: platform admins see
//! everything, team owners their team plus their own usage, members only their own, and only
//! platform admins the audit log.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page};
use common::plane::{Issued, issue, post, request_id, wait_until_accepted};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb, eventually};
use reqwest::Method;
use serde_json::{Value, json};

const MEMBER: &str = "dev@example.com";
const OWNER: &str = "lead@example.com";
const PASSWORD: &str = "Member-Passphrase-2025";
/// 10 input tokens at $1/M plus 20 output tokens at $2/M (the fake upstream's usage).
const COST: i64 = 50;

fn config(upstream: &str) -> String {
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

/// Request ids of the traffic [`with_traffic`] sends.
struct Traffic {
    ci: [String; 2],
    free: String,
    missing: String,
    lab: String,
    dev: String,
}

impl Traffic {
    fn all(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.ci.iter().map(String::as_str).collect();
        v.extend([&self.free, &self.missing, &self.lab, &self.dev].map(String::as_str));
        v
    }
}

struct Setup {
    _up: FakeUpstream,
    db: TestDb,
    gw: Gateway,
    server: Server,
}

async fn setup(backend: Backend) -> Setup {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, &config(&up.base_url))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
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

async fn key(s: &Setup, args: &[&str]) -> Issued {
    let issued = issue(&s.gw, args).await;
    wait_until_accepted(&s.server, &issued.key).await;
    issued
}

async fn chat(s: &Setup, key: &str, model: &str, expect: u16) -> String {
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
async fn with_traffic(backend: Backend) -> (Setup, Traffic) {
    let s = setup(backend).await;
    let ci = key(&s, &["--service-account", "ci", "--name", "ci-key"]).await;
    let lab = key(&s, &["--service-account", "lab", "--name", "lab-key"]).await;
    let dev = key(&s, &["--user", MEMBER, "--name", "dev-key"]).await;
    let t = Traffic {
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
    (s, t)
}

async fn admin(s: &Setup) -> Browser {
    Browser::signed_in(&s.server, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

async fn get_ok(b: &mut Browser, path: &str) -> Page {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "GET {path}: {}", page.text);
    page
}

async fn api(b: &mut Browser, path: &str) -> Value {
    let page = b.api(Method::GET, path, None, None).await;
    assert_eq!(page.status, 200, "GET {path}: {}", page.text);
    page.json()
}

/// The request ids an API page lists, in order.
fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["request_id"].as_str().expect("request_id").to_string())
        .collect()
}

/// The request ids a logs page links to, in order.
fn page_ids(page: &Page) -> Vec<String> {
    page.text
        .split("href=\"/admin/logs/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

/// Every logged request id, newest first (by time, then request id), as the database has it.
async fn newest_first(db: &TestDb) -> Vec<String> {
    db.rows("SELECT request_id FROM request_logs ORDER BY at DESC, request_id DESC")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// The ids of `order` that are in `wanted`, in `order`'s order.
fn only(order: &[String], wanted: &[&str]) -> Vec<String> {
    order
        .iter()
        .filter(|id| wanted.contains(&id.as_str()))
        .cloned()
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// The `href` of the link marked `rel="{rel}"`, if the page has one.
fn link(page: &Page, rel: &str) -> Option<String> {
    let end = page.text.find(&format!("rel=\"{rel}\""))?;
    let start = page.text[..end].rfind("href=\"")? + 6;
    let href = page.text[start..end].trim_end().trim_end_matches('"');
    Some(unescape(href))
}

async fn request_logs_are_listed_newest_first_and_filtered_alike_on_the_page_and_in_the_api(
    backend: Backend,
) {
    let (s, t) = with_traffic(backend).await;
    let mut b = admin(&s).await;

    let all = api(&mut b, "/api/v1/admin/request-logs").await;
    let newest_first = newest_first(&s.db).await;
    assert_eq!(
        sorted(newest_first.clone()),
        sorted(t.all().iter().map(|s| s.to_string()).collect())
    );
    assert_eq!(ids(&all), newest_first, "{all}");
    assert_eq!((&all["newer"], &all["older"]), (&Value::Null, &Value::Null));
    let page = get_ok(&mut b, "/admin/logs").await;
    assert_eq!(
        page_ids(&page),
        newest_first,
        "the page lists what the API lists"
    );
    assert!(page.text.contains("Request logs"));

    let first = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_id"] == t.dev.as_str())
        .unwrap();
    assert_eq!(first["user_email"], MEMBER);
    assert_eq!(first["team_id"], "platform");
    assert_eq!(first["model_served"], "small");
    assert_eq!(first["provider"], "up");
    assert_eq!(first["status"], 200);
    assert_eq!(
        (
            first["input_tokens"].as_i64(),
            first["output_tokens"].as_i64()
        ),
        (Some(10), Some(20))
    );
    assert_eq!(first["cost_micros"], COST);
    assert!(
        first["credential_name"]
            .as_str()
            .unwrap()
            .starts_with("dev-key (")
    );
    let free = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_id"] == t.free.as_str())
        .unwrap();
    assert_eq!(
        (&free["unpriced"], &free["cost_micros"]),
        (&json!(true), &Value::Null)
    );

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "service_account=ci",
            vec![&t.missing, &t.free, &t.ci[1], &t.ci[0]],
        ),
        ("team=research", vec![&t.lab]),
        ("user=DEV%40example.com", vec![&t.dev]),
        ("model=free", vec![&t.free]),
        ("status=4xx", vec![&t.missing]),
        (
            "status=2xx&model=small&team=platform",
            vec![&t.dev, &t.ci[1], &t.ci[0]],
        ),
        ("error_code=model_not_found", vec![&t.missing]),
        ("status=5xx", vec![]),
        ("to=2000-01-31", vec![]),
    ];
    for (query, want) in cases {
        let want = only(&newest_first, &want);
        let got = api(&mut b, &format!("/api/v1/admin/request-logs?{query}")).await;
        assert_eq!(ids(&got), want, "API ?{query}");
        let page = get_ok(&mut b, &format!("/admin/logs?{query}")).await;
        assert_eq!(page_ids(&page), want, "page ?{query}");
        if want.is_empty() {
            assert!(
                page.text.contains("No requests match these filters"),
                "{}",
                page.text
            );
        }
    }
    // Dates are UTC days, the "to" day included.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let got = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?from={today}&to={today}"),
    )
    .await;
    assert_eq!(ids(&got).len(), 6);
    // Credentials by public id, blank fields ignored (as an empty form submits them).
    let public =
        s.db.scalar("SELECT public_id FROM credentials WHERE name = 'lab-key'")
            .await;
    let got = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?credential={public}&user=&model="),
    )
    .await;
    assert_eq!(ids(&got), vec![t.lab.clone()]);

    for bad in ["status=teapot", "from=yesterday", "before=garbage"] {
        b.api(
            Method::GET,
            &format!("/api/v1/admin/request-logs?{bad}"),
            None,
            None,
        )
        .await
        .assert_api_error(400, "invalid_request");
        assert_eq!(
            b.get(&format!("/admin/logs?{bad}")).await.status,
            400,
            "{bad}"
        );
    }
}

/// Inserts `n` request-log rows for model `paged`, two per millisecond timestamp (so the
/// keyset must break ties by request id): `page-00` oldest … `page-{n-1}` newest.
async fn insert_paged_rows(db: &TestDb, n: usize) {
    let base = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let values: Vec<String> = (0..n)
        .map(|i| {
            let ms = base + (i as i64 / 2) * 1000;
            let at = match db.backend {
                Backend::Sqlite => ms.to_string(),
                Backend::Postgres => format!("to_timestamp({ms} / 1000.0)"),
            };
            format!(
                "('page-{i:02}', {at}, 'platform', '/v1/chat/completions', 'paged', '[]', 200, 1000)"
            )
        })
        .collect();
    db.exec(&format!(
        "INSERT INTO request_logs (request_id, at, team_id, endpoint, model_requested, attempts, \
         status, latency_us) VALUES {}",
        values.join(", ")
    ))
    .await;
}

async fn request_logs_come_fifty_to_a_page_with_newer_and_older_links(backend: Backend) {
    let s = setup(backend).await;
    insert_paged_rows(&s.db, 60).await;
    let mut b = admin(&s).await;
    let expected = |range: std::ops::RangeInclusive<usize>| -> Vec<String> {
        range.rev().map(|i| format!("page-{i:02}")).collect()
    };

    let first = api(&mut b, "/api/v1/admin/request-logs?model=paged").await;
    assert_eq!(ids(&first), expected(10..=59));
    assert!(first["newer"].is_null());
    let older = first["older"].as_str().expect("an older page").to_string();
    let second = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?model=paged&before={older}"),
    )
    .await;
    assert_eq!(ids(&second), expected(0..=9));
    assert!(second["older"].is_null(), "{second}");
    let newer = second["newer"].as_str().expect("a newer page").to_string();
    let back = api(
        &mut b,
        &format!("/api/v1/admin/request-logs?model=paged&after={newer}"),
    )
    .await;
    assert_eq!(ids(&back), expected(10..=59));
    assert!(back["newer"].is_null(), "{back}");
    assert!(back["older"].is_string());

    // The page walks the same way through its links, keeping the filters.
    let page = get_ok(&mut b, "/admin/logs?model=paged").await;
    assert_eq!(page_ids(&page), expected(10..=59));
    assert_eq!(link(&page, "prev"), None);
    let next = link(&page, "next").expect("Older link");
    assert!(
        next.starts_with("/admin/logs?model=paged&before="),
        "{next}"
    );
    let page = get_ok(&mut b, &next).await;
    assert_eq!(page_ids(&page), expected(0..=9));
    assert_eq!(link(&page, "next"), None);
    let prev = link(&page, "prev").expect("Newer link");
    assert_eq!(page_ids(&get_ok(&mut b, &prev).await), expected(10..=59));
}

async fn a_request_detail_shows_its_attempts_and_the_captured_payload(backend: Backend) {
    let (s, t) = with_traffic(backend).await;
    let mut b = admin(&s).await;
    let detail = api(&mut b, &format!("/api/v1/admin/request-logs/{}", t.ci[0])).await;
    assert_eq!(detail["request_id"], t.ci[0].as_str());
    assert_eq!(detail["service_account_name"], "CI");
    let attempts = detail["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{detail}");
    assert_eq!(
        (&attempts[0]["provider"], &attempts[0]["status"]),
        (&json!("up"), &json!(200))
    );
    let payload = detail["payload"].as_str().expect("a captured payload");
    assert!(payload.contains("\"model\": \"small\""), "{payload}");

    let page = get_ok(&mut b, &format!("/admin/logs/{}", t.ci[0])).await;
    assert!(
        page.text.contains("<table id=\"attempts\">"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Captured payload"));
    assert!(
        page.text.contains("&quot;model&quot;: &quot;small&quot;")
            || page.text.contains("&#34;model&#34;"),
        "{}",
        page.text
    );
    // A request no upstream saw has no attempts, and says so.
    let page = get_ok(&mut b, &format!("/admin/logs/{}", t.missing)).await;
    assert!(
        page.text.contains("No upstream was called"),
        "{}",
        page.text
    );
    assert!(page.text.contains("model_not_found"));

    assert_eq!(b.get("/admin/logs/no-such-request").await.status, 404);
    b.api(
        Method::GET,
        "/api/v1/admin/request-logs/no-such-request",
        None,
        None,
    )
    .await
    .assert_api_error(404, "not_found");
}

/// Ledger spend per team, straight from SQL, for comparison.
async fn ledger_cost(db: &TestDb, team: &str) -> i64 {
    db.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM usage_ledger WHERE team_id = '{team}'"
    ))
    .await
    .parse()
    .unwrap()
}

fn total<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no total for {key}: {report}"))
}

async fn spend_is_grouped_per_key_and_day_with_an_svg_chart_and_unpriced_requests_counted(
    backend: Backend,
) {
    let (s, _t) = with_traffic(backend).await;
    let mut b = admin(&s).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    let by_team = api(&mut b, "/api/v1/admin/spend?by=team&days=30").await;
    assert_eq!(by_team["by"], "team");
    assert_eq!(
        (&by_team["days"], &by_team["to"]),
        (&json!(30), &json!(today))
    );
    assert_eq!(by_team["cost_micros"], 4 * COST);
    assert_eq!(
        by_team["requests"], 5,
        "the unknown model never reached the ledger"
    );
    assert_eq!(by_team["unpriced_requests"], 1);
    let platform = total(&by_team, "platform");
    assert_eq!(platform["label"], "Platform");
    assert_eq!(
        platform["cost_micros"],
        ledger_cost(&s.db, "platform").await
    );
    assert_eq!(
        (&platform["cost_micros"], &platform["requests"]),
        (&json!(3 * COST), &json!(4))
    );
    assert_eq!(platform["unpriced_requests"], 1);
    assert_eq!(
        total(&by_team, "research")["cost_micros"],
        ledger_cost(&s.db, "research").await
    );
    assert_eq!(
        by_team["totals"][0]["key"], "platform",
        "largest spend first"
    );
    let daily = by_team["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 2, "{by_team}");
    assert!(daily.iter().all(|d| d["day"] == today.as_str()));

    let by_model = api(&mut b, "/api/v1/admin/spend?by=model").await;
    let free = total(&by_model, "free");
    assert_eq!(
        (&free["cost_micros"], &free["unpriced_requests"]),
        (&json!(0), &json!(1))
    );
    let by_sa = api(&mut b, "/api/v1/admin/spend?by=service_account").await;
    assert_eq!(total(&by_sa, "ci")["label"], "CI");
    assert_eq!(total(&by_sa, "-")["label"], "(personal credentials)");
    let by_user = api(&mut b, "/api/v1/admin/spend?by=user").await;
    assert_eq!(
        by_user["totals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["label"] == MEMBER)
            .count(),
        1
    );

    let page = get_ok(&mut b, "/admin/spend?by=service_account&days=7").await;
    assert!(
        page.text.contains("<svg id=\"spend-chart\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("<rect"), "the chart has bars");
    assert!(page.text.contains("<svg id=\"spend-legend\""));
    assert!(
        page.text.contains(">CI<"),
        "the legend names the keys: {}",
        page.text
    );
    assert!(
        page.text.contains("1 unpriced"),
        "unpriced requests are counted, not free"
    );
    assert!(page.text.contains("<table id=\"spend-totals\">"));
    assert!(page.text.contains("<table id=\"spend-daily\">"));
    assert!(
        page.text.contains("$0.0002"),
        "the total of 4 × 50 µ$ is shown: {}",
        page.text
    );

    for bad in ["by=colour", "days=0", "days=400", "days=many"] {
        b.api(
            Method::GET,
            &format!("/api/v1/admin/spend?{bad}"),
            None,
            None,
        )
        .await
        .assert_api_error(400, "invalid_request");
    }
}

async fn members_and_team_owners_see_only_their_scope_and_never_the_audit_log(backend: Backend) {
    let (s, t) = with_traffic(backend).await;

    let mut member = Browser::signed_in(&s.server, MEMBER, PASSWORD).await;
    let logs = api(&mut member, "/api/v1/admin/request-logs").await;
    assert_eq!(
        ids(&logs),
        vec![t.dev.clone()],
        "a member sees only their own requests"
    );
    assert_eq!(
        page_ids(&get_ok(&mut member, "/admin/logs").await),
        vec![t.dev.clone()]
    );
    // Filtering for someone else's rows does not widen the scope.
    let logs = api(&mut member, "/api/v1/admin/request-logs?service_account=ci").await;
    assert!(ids(&logs).is_empty());
    member
        .api(
            Method::GET,
            &format!("/api/v1/admin/request-logs/{}", t.ci[0]),
            None,
            None,
        )
        .await
        .assert_api_error(404, "not_found");
    assert_eq!(
        member.get(&format!("/admin/logs/{}", t.ci[0])).await.status,
        404
    );
    get_ok(&mut member, &format!("/admin/logs/{}", t.dev)).await;
    let spend = api(&mut member, "/api/v1/admin/spend?by=team").await;
    assert_eq!(
        (&spend["cost_micros"], &spend["requests"]),
        (&json!(COST), &json!(1))
    );
    get_ok(&mut member, "/admin/spend").await;
    member
        .api(Method::GET, "/api/v1/admin/audit", None, None)
        .await
        .assert_api_error(403, "forbidden");
    let page = member.get("/admin/audit").await;
    assert_eq!(page.status, 403, "{}", page.text);
    assert!(
        !get_ok(&mut member, "/admin/models")
            .await
            .text
            .contains("href=\"/admin/audit\""),
        "members are not offered the audit log"
    );
    assert_eq!(
        api(&mut member, "/api/v1/admin/models").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let mut owner = Browser::signed_in(&s.server, OWNER, PASSWORD).await;
    let logs = api(&mut owner, "/api/v1/admin/request-logs").await;
    let want = only(
        &newest_first(&s.db).await,
        &[&t.dev, &t.missing, &t.free, &t.ci[1], &t.ci[0]],
    );
    assert_eq!(ids(&logs), want, "an owner sees their team, not research");
    assert_eq!(page_ids(&get_ok(&mut owner, "/admin/logs").await), want);
    assert_eq!(
        owner.get(&format!("/admin/logs/{}", t.lab)).await.status,
        404
    );
    let spend = api(&mut owner, "/api/v1/admin/spend?by=team").await;
    let keys: Vec<&str> = spend["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["platform"]);
    assert_eq!(spend["cost_micros"], 3 * COST);
    owner
        .api(Method::GET, "/api/v1/admin/audit", None, None)
        .await
        .assert_api_error(403, "forbidden");
}

/// Inserts `n` audit entries with action `test.bulk` by `actor`.
async fn insert_audit_rows(db: &TestDb, actor: &str, n: usize) {
    let now = chrono::Utc::now().timestamp_millis();
    let at = match db.backend {
        Backend::Sqlite => now.to_string(),
        Backend::Postgres => "now()".into(),
    };
    let values: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "({at}, '{actor}', 'test.bulk', 'thing', 't{i:02}', '{{\"n\":{i}}}', '10.0.0.1')"
            )
        })
        .collect();
    db.exec(&format!(
        "INSERT INTO audit_log (at, actor, action, target_kind, target_id, details, client_addr) \
         VALUES {}",
        values.join(", ")
    ))
    .await;
}

fn actions(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap().to_string())
        .collect()
}

async fn the_audit_log_lists_actions_with_actor_emails_filters_and_pages(backend: Backend) {
    let s = setup(backend).await;
    let mut b = admin(&s).await;
    let admin_id =
        s.db.scalar(&format!(
            "SELECT id FROM users WHERE email = '{ADMIN_EMAIL}'"
        ))
        .await;

    let all = api(&mut b, "/api/v1/admin/audit").await;
    let signed_in = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["action"] == "login.succeeded")
        .expect("the sign-in is audited");
    assert_eq!(
        (&signed_in["actor"], &signed_in["actor_email"]),
        (&json!(admin_id), &json!(ADMIN_EMAIL))
    );
    assert_eq!(signed_in["client_addr"], "127.0.0.1");
    let page = get_ok(&mut b, "/admin/audit").await;
    assert!(
        page.text.contains("<table id=\"audit-log\">"),
        "{}",
        page.text
    );
    assert!(page.text.contains("login.succeeded") && page.text.contains(ADMIN_EMAIL));

    insert_audit_rows(&s.db, &admin_id, 55).await;
    let first = api(&mut b, "/api/v1/admin/audit?action=test.").await;
    assert_eq!(actions(&first), vec!["test.bulk"; 50]);
    assert_eq!(first["items"][0]["target_id"], "t54", "newest first");
    let older = first["older"].as_str().expect("an older page");
    let second = api(
        &mut b,
        &format!("/api/v1/admin/audit?action=test.&before={older}"),
    )
    .await;
    assert_eq!(actions(&second), vec!["test.bulk"; 5]);
    assert!(second["older"].is_null());
    assert_eq!(second["items"][0]["details"], "{\"n\":4}");

    // Prefixes are exact (case-sensitive); actors match by e-mail or id.
    assert!(actions(&api(&mut b, "/api/v1/admin/audit?action=TEST.").await).is_empty());
    let by_system = api(&mut b, "/api/v1/admin/audit?actor=system:bootstrap-admin").await;
    assert!(!actions(&by_system).is_empty());
    assert!(
        by_system["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["actor"] == "system:bootstrap-admin")
    );
    let by_email = api(
        &mut b,
        &format!("/api/v1/admin/audit?actor={ADMIN_EMAIL}&action=login"),
    )
    .await;
    assert_eq!(actions(&by_email), vec!["login.succeeded"]);

    let page = get_ok(&mut b, "/admin/audit?action=test.").await;
    assert_eq!(page.text.matches("test.bulk").count(), 50);
    let next = link(&page, "next").expect("Older link");
    let page = get_ok(&mut b, &next).await;
    assert_eq!(page.text.matches("test.bulk").count(), 5);
    assert!(link(&page, "prev").is_some());
    let page = get_ok(&mut b, "/admin/audit?action=nothing.like.this").await;
    assert!(page.text.contains("No entries match these filters"));
}

async fn the_model_catalogue_shows_routes_prices_aliases_and_health(backend: Backend) {
    let s = setup(backend).await;
    let mut b = admin(&s).await;
    let models = api(&mut b, "/api/v1/admin/models").await;
    let items = models["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["default", "free", "small"]);
    assert_eq!(
        (&items[0]["alias_of"], &items[0]["routes"]),
        (&json!("small"), &json!([]))
    );
    assert_eq!(
        items[1]["routes"][0]["price"],
        Value::Null,
        "free is unpriced"
    );
    let small = &items[2];
    assert_eq!(
        (&small["description"], &small["max_output_tokens"]),
        (&json!("Small chat model"), &json!(512))
    );
    let route = &small["routes"][0];
    assert_eq!(
        (&route["provider"], &route["upstream_model"]),
        (&json!("up"), &json!("up-small"))
    );
    assert_eq!(
        (&route["weight"], &route["priority"], &route["healthy"]),
        (&json!(1), &json!(0), &json!(true))
    );
    assert_eq!(route["price"]["input"], "$1.00");
    assert_eq!(route["price"]["output"], "$2.00");
    assert_eq!(route["price"]["cached_input"], "$0.50");
    assert_eq!(route["price"]["input_micros"], 1_000_000);

    let page = get_ok(&mut b, "/admin/models").await;
    assert!(page.text.contains("<table id=\"models\">"), "{}", page.text);
    for needle in [
        "up-small", "$1.00", "$2.00", "$0.50", "unpriced", "alias", "healthy", "512",
    ] {
        assert!(page.text.contains(needle), "the models page shows {needle}");
    }
}

async fn the_openapi_document_describes_the_observability_endpoints(backend: Backend) {
    let s = setup(backend).await;
    let mut b = Browser::new(&s.server);
    let doc = api(&mut b, "/api/v1/admin/openapi.json").await;
    for path in [
        "/api/v1/admin/request-logs",
        "/api/v1/admin/request-logs/{request_id}",
        "/api/v1/admin/spend",
        "/api/v1/admin/audit",
        "/api/v1/admin/models",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/admin/request-logs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "team",
        "user",
        "service_account",
        "credential",
        "model",
        "status",
        "error_code",
        "from",
        "to",
        "before",
        "after",
    ] {
        assert!(
            params.contains(&p),
            "request-logs parameter {p}: {params:?}"
        );
    }
    for schema in [
        "LogList",
        "LogEntry",
        "LogDetail",
        "SpendReport",
        "AuditList",
        "ModelList",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    // Without a session every one of them answers 401.
    for path in [
        "/api/v1/admin/request-logs",
        "/api/v1/admin/spend",
        "/api/v1/admin/audit",
        "/api/v1/admin/models",
    ] {
        b.api(Method::GET, path, None, None)
            .await
            .assert_api_error(401, "unauthenticated");
    }
    for path in [
        "/admin/logs",
        "/admin/spend",
        "/admin/audit",
        "/admin/models",
    ] {
        b.get(path).await.assert_redirect("/admin/login");
    }
}

both_backends!(
    request_logs_are_listed_newest_first_and_filtered_alike_on_the_page_and_in_the_api,
    request_logs_come_fifty_to_a_page_with_newer_and_older_links,
    a_request_detail_shows_its_attempts_and_the_captured_payload,
    spend_is_grouped_per_key_and_day_with_an_svg_chart_and_unpriced_requests_counted,
    members_and_team_owners_see_only_their_scope_and_never_the_audit_log,
    the_audit_log_lists_actions_with_actor_emails_filters_and_pages,
    the_model_catalogue_shows_routes_prices_aliases_and_health,
    the_openapi_document_describes_the_observability_endpoints,
);
