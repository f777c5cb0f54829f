//! `gateway settings import --from FILE [--dry-run] [--json]` and `gateway settings list`,
//! and the startup warning for operational keys left in the config file.

use std::time::Duration;

use serde_json::{Value, json};

use super::replicas::{chat, payload};
use super::world::World;
use crate::both_backends;
use crate::common::admin::audit_rows;
use crate::common::{Backend, Gateway, Output, TestDb, eventually};

const OPERATIONAL: &str = "request_logs:\n  capture: metadata\n  max_payload_bytes: 4096\n\
                           settings:\n  passwords.min_length: 16\n  request_logs.retention_days: 30\n";

/// A migrated database (never served, so nothing is seeded) and a gateway config for it.
async fn migrated(backend: Backend) -> (TestDb, Gateway) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, "auth: { bootstrap_admin: { enabled: false } }\n");
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    (db, gw)
}

/// Writes `text` into the test's directory and returns its path.
fn file(db: &TestDb, name: &str, text: &str) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_str().expect("utf-8 path").to_string()
}

async fn import(gw: &Gateway, path: &str, extra: &[&str]) -> Output {
    let mut args = vec!["settings", "import", "--from", path];
    args.extend_from_slice(extra);
    gw.run(&args).await
}

async fn list(gw: &Gateway) -> Vec<Value> {
    let out = gw.run(&["settings", "list", "--json"]).await;
    out.assert_code(0);
    let v: Value = serde_json::from_str(&out.stdout).expect("settings list --json");
    v.as_array().expect("a list").clone()
}

async fn import_previews_then_writes_explicit_values_with_audit_rows(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let path = file(&db, "ops.yaml", OPERATIONAL);
    let before = list(&gw).await;
    assert_eq!(before.len(), 13);
    assert!(
        before.iter().all(|s| s["origin"] == "default"),
        "{before:?}"
    );

    let dry = import(&gw, &path, &["--dry-run"]).await;
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains("request_logs.capture: would set \"metadata\" (was \"off\", default)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("dry run: would set 4, 0 unchanged; nothing written"),
        "{}",
        dry.stdout
    );
    assert!(db.rows("SELECT key FROM settings").await.is_empty());

    import(&gw, &path, &[]).await.assert_code(0);
    let rows = db
        .rows("SELECT key, value, origin, updated_by FROM settings ORDER BY key")
        .await;
    let expected = [
        ["passwords.min_length", "16"],
        ["request_logs.capture", "\"metadata\""],
        ["request_logs.max_payload_bytes", "4096"],
        ["request_logs.retention_days", "30"],
    ];
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (row, [key, value]) in rows.iter().zip(expected) {
        assert_eq!(
            (
                row[0].as_str(),
                row[1].as_str(),
                row[2].as_str(),
                row[3].as_str()
            ),
            (key, value, "explicit", "system:settings-import")
        );
    }
    let audit = audit_rows(&db, "setting.changed").await;
    assert_eq!(audit.len(), 4);
    assert!(
        audit
            .iter()
            .all(|(actor, details, _)| actor == "system:settings-import"
                && details["via"] == "import")
    );

    // Again: nothing changes, nothing is audited.
    let again = import(&gw, &path, &["--json"]).await;
    again.assert_code(0);
    let report: Value = serde_json::from_str(&again.stdout).expect("--json");
    assert_eq!(report["dry_run"], false);
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 4);
    assert!(changes.iter().all(|c| c["changed"] == false), "{report}");
    assert_eq!(audit_rows(&db, "setting.changed").await.len(), 4);

    let after = list(&gw).await;
    let capture = after
        .iter()
        .find(|s| s["key"] == "request_logs.capture")
        .unwrap();
    assert_eq!(
        (&capture["value"], &capture["origin"]),
        (&json!("metadata"), &json!("explicit"))
    );
}

async fn import_refuses_invalid_values_naming_each_and_writes_nothing(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let path = file(
        &db,
        "bad.yaml",
        "request_logs:\n  capture: everything\nsettings:\n  sessions.idle_timeout_minutes: 1\n  \
         nope.key: 3\n  passwords.min_length: 16\n",
    );
    let out = import(&gw, &path, &[]).await;
    out.assert_code(2);
    for expected in [
        "nothing imported",
        "request_logs.capture: expected one of \"off\", \"metadata\", \"redacted\", got \"everything\"",
        "sessions.idle_timeout_minutes: expected an integer from 5 to 43200 (minutes), got 1",
        "nope.key: not an operational setting",
    ] {
        assert!(out.stderr.contains(expected), "{expected}:\n{}", out.stderr);
    }
    assert!(db.rows("SELECT key FROM settings").await.is_empty());

    let missing = import(&gw, "/nonexistent/settings.yaml", &[]).await;
    missing.assert_code(2);
    assert!(
        missing
            .stderr
            .contains("--from /nonexistent/settings.yaml: cannot read"),
        "{}",
        missing.stderr
    );
}

async fn serve_warns_about_operational_keys_in_the_config_and_import_moves_them(backend: Backend) {
    let w = World::with(backend, "request_logs: { capture: metadata }").await;
    let path = w.gw.config_path.to_str().unwrap().to_string();
    let logs = w.server.logs();
    assert!(
        logs.contains("config key request_logs.capture")
            && logs.contains(&format!("gateway settings import --from {path}")),
        "{logs}"
    );
    // The database is the source of truth: the file's value is not used.
    assert_eq!(
        w.stored("request_logs.capture").await.unwrap().0,
        json!("off")
    );
    let mut admin = w.admin().await;
    admin.service_account("svc").await;
    let key = admin.issue("svc").await;
    let id = chat(&w.server, &key, "before-import").await;
    assert_eq!(payload(&w.db, &id).await, None);

    // The command the warning names moves it; the running gateway picks it up.
    import(&w.gw, &path, &[]).await.assert_code(0);
    assert_eq!(
        w.stored("request_logs.capture").await,
        Some((json!("metadata"), "explicit".into()))
    );
    eventually(
        Duration::from_secs(10),
        "the running gateway to capture payloads",
        || async {
            let id = chat(&w.server, &key, "after-import").await;
            payload(&w.db, &id).await
        },
    )
    .await;
}

both_backends!(
    import_previews_then_writes_explicit_values_with_audit_rows,
    import_refuses_invalid_values_naming_each_and_writes_nothing,
    serve_warns_about_operational_keys_in_the_config_and_import_moves_them,
);
