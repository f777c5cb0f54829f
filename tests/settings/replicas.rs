//! A setting changed on one replica applies there to the very next request, and on another
//! replica sharing the database within a few seconds — no restart.

use std::time::Duration;

use serde_json::{Value, json};

use super::world::World;
use crate::both_backends;
use crate::common::plane::{log_row, wait_until_accepted};
use crate::common::{Backend, Server, TestDb, eventually};

/// The stored payload of the request with client id `id` (waits for its log row).
pub async fn payload(db: &TestDb, id: &str) -> Option<Value> {
    log_row(db, id).await;
    let text = db
        .scalar(&format!(
            "SELECT COALESCE(payload, 'NULL') FROM request_logs WHERE client_request_id = '{id}'"
        ))
        .await;
    (text != "NULL").then(|| serde_json::from_str(&text).expect("payload is JSON"))
}

/// Sends a chat to `server` with a fresh client id; returns that id.
pub async fn chat(server: &Server, key: &str, label: &str) -> String {
    let id = format!("{label}-{}", uuid::Uuid::new_v4().simple());
    let reply = World::chat(server, key, &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    id
}

async fn a_changed_setting_reaches_another_replica_within_seconds(backend: Backend) {
    let w = World::new(backend).await;
    let other = w.replica().await;
    let mut admin = w.admin().await;
    admin.service_account("svc").await;
    let key = admin.issue("svc").await;
    wait_until_accepted(&other, &key).await;

    let before = chat(&other, &key, "other-before").await;
    assert_eq!(
        payload(&w.db, &before).await,
        None,
        "capture is off by default"
    );

    admin.set("request_logs.capture", json!("metadata")).await;
    // This replica: the very next request.
    let here = chat(&w.server, &key, "here").await;
    let meta = payload(&w.db, &here).await.expect("captured at once here");
    assert_eq!(meta["model"], "small", "{meta}");
    // The other replica: within a few seconds, without a restart.
    let meta = eventually(
        Duration::from_secs(10),
        "the other replica to capture payloads",
        || async {
            let id = chat(&other, &key, "other-after").await;
            payload(&w.db, &id).await
        },
    )
    .await;
    assert_eq!(meta["message_count"], 1, "{meta}");
    assert!(meta.get("messages").is_none(), "metadata only: {meta}");

    // And back: switching it off reaches the other replica too.
    admin.set("request_logs.capture", json!("off")).await;
    eventually(
        Duration::from_secs(10),
        "the other replica to stop capturing",
        || async {
            let id = chat(&other, &key, "other-off").await;
            payload(&w.db, &id).await.is_none().then_some(())
        },
    )
    .await;
}

both_backends!(a_changed_setting_reaches_another_replica_within_seconds);
