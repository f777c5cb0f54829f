//! The official OpenAI Python SDK, unmodified, against a running gateway: chat, streaming
//! (with and without usage), embeddings, models, and the exception class for each error.
//! `scripts/test.sh` installs the `openai` package; a missing package fails this test.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Gateway, TestDb};

const CONFIG: &str = r#"
auth: { bootstrap_admin: { enabled: false } }
teams: [{ id: platform, name: Platform }]
service_accounts: [{ id: ci, team: platform, name: CI }]
providers:
  - { id: mock, kind: mock }
  - { id: dead, kind: openai_compat, base_url: "http://127.0.0.1:9/v1" }
models:
  - id: small
    routes: [{ provider: mock, model: mock-chat, pricing: { input: "0.15", output: "0.60" } }]
  - id: embed
    routes: [{ provider: mock, model: mock-embed }]
  - id: broken
    routes: [{ provider: dead, model: x }]
"#;

async fn key(gw: &Gateway, extra: &[&str]) -> String {
    let mut args = vec![
        "credentials",
        "create",
        "--service-account",
        "ci",
        "--name",
        "sdk",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = gw.run(&args).await;
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    v["key"].as_str().expect("key").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_python_sdk_works_unmodified() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = Gateway::new(&db, CONFIG);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    gw.run(&["seed-config"]).await.assert_code(0);
    let all = key(&gw, &[]).await;
    let limited = key(&gw, &["--models", "small"]).await;
    let server = gw.serve().await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/openai_sdk_check.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("GATEWAY_BASE_URL", server.url("/v1"))
        .env("GATEWAY_KEY", &all)
        .env("GATEWAY_LIMITED_KEY", &limited)
        .output()
        .await
        .expect("python3 must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "SDK check failed (is the `openai` package installed? scripts/test.sh installs it)\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    server.terminate().await;
}
