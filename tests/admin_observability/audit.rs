//! The audit log: actor e-mails, client addresses, filters by action prefix and actor, pages.

use serde_json::{Value, json};

use super::world::*;
use crate::both_backends;
use crate::common::admin::ADMIN_EMAIL;
use crate::common::{Backend, TestDb};

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

both_backends!(the_audit_log_lists_actions_with_actor_emails_filters_and_pages,);
