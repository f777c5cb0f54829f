//! What request logs keep and for how long: `gateway purge-request-logs` deletes only rows older
//! than the cut-off, in batches, with a dry run that deletes nothing, and never touches the
//! usage ledger; payload capture stores nothing (`off`), no content (`metadata`), or the body
//! with configured paths and built-in secret keys replaced (`redacted`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use common::plane::{post, request_id};
use common::spend::{self, COST};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, TestDb};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

/// Runs `purge-request-logs --older-than 7d --json <extra>` and returns its report.
async fn purge(gw: &Gateway, extra: &[&str]) -> Value {
    let mut args = vec!["purge-request-logs", "--older-than", "7d", "--json"];
    args.extend_from_slice(extra);
    let out = gw.run(&args).await;
    out.assert_code(0);
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("purge --json is not JSON ({e}): {}", out.stdout))
}

/// Each log row's id as the test knows it: the client's `x-request-id` when one was sent,
/// else the gateway's own (rows inserted directly by the test).
async fn log_ids(db: &TestDb) -> Vec<String> {
    let mut ids: Vec<String> = db
        .rows("SELECT COALESCE(client_request_id, request_id) FROM request_logs")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    ids.sort();
    ids
}

async fn purge_deletes_only_logs_older_than_the_cutoff_in_batches_and_keeps_the_ledger(
    backend: Backend,
) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let (gw, key) = spend::setup(&db, &spend::config(&upstream.base_url, "")).await;
    let server = gw.serve().await;
    let mut recent = Vec::new();
    for _ in 0..2 {
        let id = format!("recent-{}", request_id());
        let reply = post(&server, CHAT, Some(&key), &spend::chat_body("m"), Some(&id)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        recent.push(id);
    }
    assert_eq!(server.terminate().await, 0);

    let now = Utc::now();
    for (id, days) in [
        ("aged-30d", 30),
        ("aged-10d", 10),
        ("aged-8d", 8),
        ("kept-6d", 6),
    ] {
        let at = spend::ts_sql(backend, now - Duration::days(days));
        db.exec(&format!(
            "INSERT INTO request_logs (request_id, at, endpoint, attempts, status, latency_us) \
             VALUES ('{id}', {at}, 'chat.completions', '[]', 200, 1000)"
        ))
        .await;
    }
    // Spend from long ago: the ledger is never purged.
    let at = spend::ts_sql(backend, now - Duration::days(30));
    db.exec(&format!(
        "INSERT INTO usage_ledger (request_id, at, team_id, model, input_tokens, output_tokens, \
         cached_tokens, cost_micros, priced) VALUES ('aged-30d', {at}, 'acme', 'm', 10, 20, 0, 500, TRUE)"
    ))
    .await;
    let ledger_before = spend::ledger_cost(&db).await;
    assert_eq!(ledger_before, 2 * COST + 500);
    let all = log_ids(&db).await;
    assert_eq!(all.len(), 6, "{all:?}");

    let dry = purge(&gw, &["--dry-run"]).await;
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["matched"], 3, "{dry}");
    assert_eq!(dry["deleted"], 0, "{dry}");
    assert_eq!(log_ids(&db).await, all, "a dry run deleted rows");
    let human = gw
        .run(&["purge-request-logs", "--older-than", "7d", "--dry-run"])
        .await;
    human.assert_code(0);
    assert!(human.stdout.contains("would delete 3"), "{}", human.stdout);

    let report = purge(&gw, &["--batch-size", "2"]).await;
    assert_eq!(report["dry_run"], false, "{report}");
    assert_eq!(report["matched"], 3, "{report}");
    assert_eq!(report["deleted"], 3, "{report}");
    assert!(report["batches"].as_u64().unwrap() >= 2, "{report}");
    assert_eq!(report["ledger_total_micros"], ledger_before, "{report}");
    let mut kept = recent.clone();
    kept.push("kept-6d".into());
    kept.sort();
    assert_eq!(log_ids(&db).await, kept);
    assert_eq!(spend::ledger_cost(&db).await, ledger_before);

    // Nothing left to purge: a second run deletes nothing.
    let again = purge(&gw, &[]).await;
    assert_eq!(again["deleted"], 0, "{again}");
}

/// Sends one chat request whose body carries content and secrets; returns the stored payload.
async fn captured(db: &TestDb, key: &str, yaml: &str) -> Option<String> {
    let gw = Gateway::new(db, yaml);
    // Payload capture is an operational setting: the file's `request_logs` go in with import.
    gw.import_settings().await;
    let server = gw.serve().await;
    let id = request_id();
    let body = json!({
        "model": "m", "max_tokens": 20,
        "messages": [
            {"role": "system", "content": "the secret plan"},
            {"role": "user", "content": "launch codes 1234"},
        ],
        "metadata": {"api_key": "sk-secret", "Authorization": "Bearer sk-other", "note": "kept"},
    });
    let reply = post(&server, CHAT, Some(key), &body, Some(&id)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(server.terminate().await, 0);
    let v = db
        .scalar(&format!(
            "SELECT payload FROM request_logs WHERE (request_id = '{id}' OR client_request_id = '{id}')"
        ))
        .await;
    (v != "NULL").then_some(v)
}

fn capture(upstream: &str, mode: &str) -> String {
    spend::config(
        upstream,
        &format!(
            "request_logs: {{ capture: {mode}, max_payload_bytes: 4096, \
             redact_paths: [\"messages[*].content\"] }}"
        ),
    )
}

async fn payload_capture_stores_nothing_metadata_or_a_redacted_body_by_mode(backend: Backend) {
    let upstream = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(backend).await;
    let (_gw, key) = spend::setup(&db, &capture(&upstream.base_url, "off")).await;
    let secrets = ["secret plan", "launch codes", "sk-secret", "sk-other"];

    assert_eq!(
        captured(&db, &key, &capture(&upstream.base_url, "off")).await,
        None
    );

    let text = captured(&db, &key, &capture(&upstream.base_url, "metadata"))
        .await
        .expect("metadata payload");
    for s in secrets {
        assert!(!text.contains(s), "metadata holds {s:?}: {text}");
    }
    let meta: Value = serde_json::from_str(&text).expect("metadata is JSON");
    assert_eq!(meta["model"], "m", "{meta}");
    assert_eq!(meta["message_count"], 2, "{meta}");
    assert_eq!(meta["max_tokens"], 20, "{meta}");
    assert!(meta.get("messages").is_none(), "{meta}");

    let text = captured(&db, &key, &capture(&upstream.base_url, "redacted"))
        .await
        .expect("redacted payload");
    for s in secrets {
        assert!(!text.contains(s), "redacted payload holds {s:?}: {text}");
    }
    let body: Value = serde_json::from_str(&text).expect("redacted payload is JSON");
    assert_eq!(body["model"], "m", "{body}");
    assert_eq!(body["messages"][0]["role"], "system", "{body}");
    assert_eq!(body["messages"][0]["content"], "[redacted]", "{body}");
    assert_eq!(body["messages"][1]["content"], "[redacted]", "{body}");
    assert_eq!(body["metadata"]["api_key"], "[redacted]", "{body}");
    assert_eq!(body["metadata"]["Authorization"], "[redacted]", "{body}");
    assert_eq!(body["metadata"]["note"], "kept", "{body}");
}

both_backends!(
    purge_deletes_only_logs_older_than_the_cutoff_in_batches_and_keeps_the_ledger,
    payload_capture_stores_nothing_metadata_or_a_redacted_body_by_mode,
);

/// A config that is never read: `--older-than` is checked first.
fn unread_gateway(dir: &tempfile::TempDir) -> Gateway {
    Gateway {
        config_path: dir.path().join("absent.yaml"),
        env: Vec::new(),
    }
}

#[tokio::test]
async fn purge_with_a_malformed_age_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let gw = unread_gateway(&dir);
    for bad in ["7x", "7", "d", "0d", "-7d", "1.5d"] {
        let out = gw.run(&["purge-request-logs", "--older-than", bad]).await;
        out.assert_code(2);
        assert!(out.stderr.contains("--older-than"), "{bad}: {}", out.stderr);
    }
}

/// Regression: `parse_duration` split the text one byte before its end, which panics (exit
/// 101) when the last character is multi-byte.
#[tokio::test]
async fn purge_with_a_non_ascii_unit_exits_2_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let gw = unread_gateway(&dir);
    for bad in ["7µ", "7日", "é"] {
        let out = gw.run(&["purge-request-logs", "--older-than", bad]).await;
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains("--older-than"), "{bad}: {}", out.stderr);
    }
}
