//! The dev stack's demo data as people meet it, beyond the counts `dev_stack.rs` checks: every
//! one of the five demo people signs in with the documented password (the README names it), the
//! request-log, spend and dashboard pages show the sample history, and `gateway demo reset`
//! prints each new key exactly once — the same keys it writes to the 0600 file.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[allow(dead_code)]
#[path = "dev_stack/dir.rs"]
mod dir;

use chrono::Datelike;
use common::admin::Browser;
use dir::{DEMO_PASSWORD, DevDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_person_signs_in_and_the_pages_show_the_sample_history() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(
        readme.contains(DEMO_PASSWORD),
        "the demo password is not documented in the README"
    );

    let dev = DevDir::new().await;
    let server = dev.serve().await;
    let keys = dev.keys();
    let people: Vec<String> = keys["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(people.len(), 5, "{keys}");
    for email in &people {
        let mut b = Browser::new(&server);
        b.sign_in(email, DEMO_PASSWORD)
            .await
            .assert_redirect("/admin");
    }

    let mut admin = Browser::signed_in(&server, "admin@local", "admin").await;
    let logs = admin.get("/admin/logs").await;
    assert_eq!(logs.status, 200, "{}", logs.text);
    let rows = logs.text.matches("href=\"/admin/logs/demo-").count();
    assert!(rows >= 10, "{rows} demo rows on the request-log page");

    let spend = admin.get("/admin/spend").await;
    assert_eq!(spend.status, 200, "{}", spend.text);
    for team in ["demo-research", "demo-support"] {
        assert!(
            spend.text.contains(team),
            "{team} missing from the spend page"
        );
    }

    let dashboard = admin.get("/admin").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    // Thirty days of samples put requests in the current month from its third day on.
    if chrono::Utc::now().day() >= 3 {
        assert!(
            !dashboard.text.contains("No requests yet this month"),
            "the dashboard is empty"
        );
    }
    assert_eq!(server.terminate().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_reset_prints_each_new_key_once_and_writes_the_same_keys_to_the_file() {
    let dev = DevDir::new().await;
    dev.serve().await.terminate().await;
    let out = dev.run(&["demo", "reset"]).await;
    out.assert_code(0);
    let keys = dev.keys();
    let creds = keys["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 7, "{keys}");
    for c in creds {
        let key = c["key"].as_str().unwrap();
        assert!(key.starts_with("gw_"), "{key}");
        assert_eq!(
            out.all().matches(key).count(),
            1,
            "key {key} not printed exactly once:\n{}",
            out.all()
        );
    }
}
