//! The `/admin` control plane end to end in a real headless Chromium (Debian's `chromium`),
//! driven by `tests/e2e/admin_flow.mjs` (playwright-core) against a running `gateway serve` with
//! the production-shaped config: PostgreSQL, bootstrap admin `admin@local` whose password comes
//! from `GATEWAY_BOOTSTRAP_ADMIN_PASSWORD` and must be changed at first sign-in, a mock provider.
//!
//! The script signs in, is forced to change the password, lands on the dashboard; creates a team
//! and a service account, issues a credential (key read from the page), uses it on
//! `/v1/chat/completions`, revokes it in the UI and sees the next call answer 401; invites a user
//! and completes onboarding in a second browser context. This test then checks the database
//! agrees. Screenshots land in `target/e2e-artifacts/`.
//!
//! `scripts/test.sh` installs Chromium (apt) and the script's node modules (`npm ci`); when
//! either is missing this test fails, it is never skipped.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Backend, Gateway, TestDb};

const ADMIN_EMAIL: &str = "admin@local";
const ADMIN_INITIAL_PASSWORD: &str = "admin";
const MODEL: &str = "gpt-4o-mini";

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Fails (never skips) when the browser or the script's node modules are missing.
fn require_tools() {
    let browser = chromium();
    assert!(
        browser.is_file(),
        "Chromium is required for this test and {} does not exist. Install it with \
         `apt-get install -y chromium`, or run the tests with scripts/test.sh, which does.",
        browser.display()
    );
    let module = e2e_dir().join("node_modules/playwright-core/package.json");
    assert!(
        module.is_file(),
        "tests/e2e/node_modules is missing playwright-core. Run `npm ci` in tests/e2e, or run \
         the tests with scripts/test.sh, which does."
    );
}

/// A port that is free now, so `server.public_url` (used in onboarding links) can name it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// `config/gateway.prod.yaml`, with the bind address and public URL of this test.
fn prod_config(port: u16) -> String {
    format!(
        r#"# Production shape (config/gateway.prod.yaml): PostgreSQL from GATEWAY_DATABASE_URL,
# bootstrap admin from GATEWAY_BOOTSTRAP_ADMIN_PASSWORD, changed at first sign-in.
server:
  bind: 127.0.0.1:{port}
  public_url: http://127.0.0.1:{port}
  log_format: json
  shutdown_grace_seconds: 5

database:
  url: ""

auth:
  bootstrap_admin:
    enabled: true
    email: {ADMIN_EMAIL}
    name: Administrator
    require_password_change: true

providers:
  - id: mock
    kind: mock

models:
  - id: {MODEL}
    description: Small chat model (mock)
    max_output_tokens: 4096
    routes:
      - provider: mock
        model: mock-chat
        pricing: {{ input: "0.15", output: "0.60" }}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_control_plane_works_end_to_end_in_headless_chromium() {
    require_tools();
    let started = Instant::now();
    let artifacts = artifacts_dir();
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts).expect("create target/e2e-artifacts");

    let db = TestDb::new(Backend::Postgres).await;
    let port = free_port();
    let gw = Gateway::new(&db, &prod_config(port))
        .env("GATEWAY_DATABASE_URL", &db.url)
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_INITIAL_PASSWORD);
    let server = gw.serve().await;
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        server.url(""),
        base,
        "serve bound elsewhere than configured"
    );

    let script = e2e_dir().join("admin_flow.mjs");
    let mut node = tokio::process::Command::new("node");
    node.arg(&script)
        .current_dir(e2e_dir())
        .env("GATEWAY_URL", &base)
        .env("E2E_ARTIFACTS", &artifacts)
        .env("E2E_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("E2E_ADMIN_PASSWORD", ADMIN_INITIAL_PASSWORD)
        .env("E2E_MODEL", MODEL)
        .env("CHROMIUM", chromium())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(300), node.output())
        .await
        .unwrap_or_else(|_| panic!("the browser flow took over 300 s\n{}", server.logs()))
        .expect("node must be installed (it comes with the machine)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser flow failed (screenshots in {}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n\
         --- gateway log (last 4000 chars)\n{}",
        artifacts.display(),
        tail(&server.logs(), 4000)
    );
    let result: serde_json::Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("E2E_RESULT "))
        .map(|json| serde_json::from_str(json).expect("E2E_RESULT is JSON"))
        .unwrap_or_else(|| panic!("the script printed no E2E_RESULT line\n{stdout}\n{stderr}"));

    // The database agrees with what the browser saw.
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(must_change_password AS TEXT) || ' ' || status FROM users \
             WHERE email = '{ADMIN_EMAIL}'"
        ))
        .await,
        "false active",
        "the admin's forced change was not recorded"
    );
    let credential = result["credential"].as_str().expect("credential");
    let service_account = result["service_account"].as_str().expect("service_account");
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(revoked_at IS NOT NULL AS TEXT) FROM credentials \
             WHERE name = '{credential}' AND service_account_id = '{service_account}'"
        ))
        .await,
        "true",
        "the credential revoked in the UI is not revoked in the database"
    );
    let invitee = result["invitee"].as_str().expect("invitee");
    let team = result["team"].as_str().expect("team");
    assert_eq!(
        db.scalar(&format!(
            "SELECT u.status || ' ' || m.role FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE u.email = '{invitee}' AND m.team_id = '{team}'"
        ))
        .await,
        "active member",
        "the onboarded user is not an active member of the team"
    );
    // The chat call made while the key was live reaches the request log (written in batches).
    let sql = format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM request_logs WHERE service_account_id = '{service_account}'"
    );
    common::eventually(
        Duration::from_secs(15),
        "the chat call in request_logs",
        || {
            let (db, sql) = (&db, &sql);
            async move { (db.scalar(sql).await != "0").then_some(()) }
        },
    )
    .await;

    // And the revoked key, seen from outside the browser, still answers 401.
    let key = result["key"].as_str().expect("key");
    let status = common::http()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&serde_json::json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status.as_u16(), 401);

    let shots = result["screenshots"].as_array().map_or(0, Vec::len);
    println!(
        "browser flow passed in {:.1} s; {shots} screenshots in {}",
        started.elapsed().as_secs_f64(),
        artifacts.display()
    );
    // Known UI bugs the script tolerates (listed in admin_flow.mjs, waiting for a fix).
    for issue in result["known_issues"].as_array().into_iter().flatten() {
        println!("warning: known UI issue seen in the browser: {issue}");
    }
    let errors = result["console_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        errors.is_empty(),
        "the pages logged errors in the browser console: {errors:#?}"
    );
    // Last use is flushed in batches and at shutdown: after a clean stop it is recorded.
    assert_eq!(
        server.terminate().await,
        0,
        "gateway serve did not exit cleanly"
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(last_used_at IS NOT NULL AS TEXT) FROM credentials \
             WHERE name = '{credential}' AND service_account_id = '{service_account}'"
        ))
        .await,
        "true",
        "the credential's last use was not recorded"
    );
}

fn tail(s: &str, n: usize) -> &str {
    let start = s.len().saturating_sub(n);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    &s[start..]
}
