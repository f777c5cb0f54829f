//! Revocation reaches every replica within a second: two `gateway serve` processes sharing one
//! PostgreSQL database both refuse a key revoked by the CLI (a third process), and so does a
//! single SQLite-backed server.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::plane::{BASE, Reply, get, issue, wait_until_accepted};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb, eventually};

fn config(up: &FakeUpstream) -> String {
    format!(
        r#"{BASE}
providers:
  - {{ id: up, kind: openai_compat, base_url: "{}" }}
models:
  - {{ id: small, routes: [{{ provider: up, model: up-small }}] }}
"#,
        up.base_url
    )
}

/// Revokes `id` with the CLI; returns when the command has exited successfully.
async fn revoke(gw: &Gateway, id: &str) -> Instant {
    gw.run(&["credentials", "revoke", id]).await.assert_code(0);
    Instant::now()
}

/// Waits for `server` to refuse `key` as revoked; returns how long after `since` it did.
async fn refused_as_revoked_after(server: &Server, key: &str, since: Instant) -> Duration {
    let reply: Reply = eventually(
        Duration::from_secs(5),
        "the revoked key to be refused",
        || async {
            let r = get(server, "/v1/models", Some(key)).await;
            (r.status != 200).then_some(r)
        },
    )
    .await;
    let elapsed = since.elapsed();
    reply.assert_error(401, "api_key_revoked");
    elapsed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_the_cli_is_refused_by_two_replicas_sharing_postgres_within_one_second() {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(Backend::Postgres).await;
    let gw = Gateway::new(&db, &config(&up));
    // Started one after the other: each runs migrations and seed-config first.
    let first = gw.serve().await;
    let second = gw.serve().await;
    let issued = issue(&gw, &["--service-account", "ci", "--name", "shared"]).await;
    wait_until_accepted(&first, &issued.key).await;
    wait_until_accepted(&second, &issued.key).await;

    let revoked_at = revoke(&gw, &issued.id).await;
    let (a, b) = tokio::join!(
        refused_as_revoked_after(&first, &issued.key, revoked_at),
        refused_as_revoked_after(&second, &issued.key, revoked_at),
    );
    assert!(a < Duration::from_secs(1), "first replica took {a:?}");
    assert!(b < Duration::from_secs(1), "second replica took {b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_the_cli_is_refused_by_a_sqlite_server_within_one_second() {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = Gateway::new(&db, &config(&up));
    let server = gw.serve().await;
    let issued = issue(&gw, &["--service-account", "ci", "--name", "solo"]).await;
    wait_until_accepted(&server, &issued.key).await;

    let revoked_at = revoke(&gw, &issued.id).await;
    let took = refused_as_revoked_after(&server, &issued.key, revoked_at).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
}
