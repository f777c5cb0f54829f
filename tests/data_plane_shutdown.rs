//! Graceful shutdown of the data plane: on SIGTERM, requests already in flight (JSON and
//! streams) finish normally, the process exits 0, and their request-log rows are flushed to the
//! database before it exits.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::plane::{
    BASE, chat, chat_stream, ready_key, request_id, sse_content, sse_data, try_log_row,
};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb, eventually};
use serde_json::Value;

async fn setup(backend: Backend, up: &FakeUpstream) -> (TestDb, Server, String) {
    let db = TestDb::new(backend).await;
    let yaml = format!(
        r#"{BASE}
providers:
  - {{ id: up, kind: openai_compat, base_url: "{}" }}
models:
  - {{ id: small, routes: [{{ provider: up, model: up-small }}] }}
"#,
        up.base_url
    );
    let gw = Gateway::new(&db, &yaml);
    let server = gw.serve().await;
    let key = ready_key(&gw, &server, &[]).await.key;
    (db, server, key)
}

/// Starts a chat request in the background; resolves to its status and full body.
fn in_background(
    server: &Server,
    key: &str,
    body: Value,
    id: &str,
) -> tokio::task::JoinHandle<(u16, String)> {
    let request = common::http()
        .post(server.url("/v1/chat/completions"))
        .bearer_auth(key)
        .header("x-request-id", id)
        .json(&body);
    tokio::spawn(async move {
        let resp = request.send().await.expect("in-flight request failed");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("in-flight body cut off"))
    })
}

async fn an_in_flight_request_finishes_and_is_logged_when_the_server_is_terminated(
    backend: Backend,
) {
    let up = FakeUpstream::start("up", Behavior::Delay(Duration::from_millis(1500))).await;
    let (db, server, key) = setup(backend, &up).await;
    let id = request_id();
    let request = in_background(&server, &key, chat("small"), &id);
    eventually(
        Duration::from_secs(5),
        "the request to reach upstream",
        || async { (up.count() == 1).then_some(()) },
    )
    .await;

    let code = server.terminate().await;
    let (status, body) = request.await.expect("request task");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("hello from up"), "{body}");
    assert_eq!(code, 0, "gateway serve did not exit cleanly");
    let row = try_log_row(&db, &id)
        .await
        .expect("the request log row was not flushed before exit");
    assert_eq!(row.status, 200);
}

async fn an_in_flight_stream_runs_to_its_end_when_the_server_is_terminated(backend: Backend) {
    let up = FakeUpstream::start(
        "up",
        Behavior::Slow {
            interval: Duration::from_millis(100),
            chunks: 10,
        },
    )
    .await;
    let (db, server, key) = setup(backend, &up).await;
    let id = request_id();
    let request = in_background(&server, &key, chat_stream("small"), &id);
    eventually(
        Duration::from_secs(5),
        "the stream to reach upstream",
        || async { (up.count() == 1).then_some(()) },
    )
    .await;

    let code = server.terminate().await;
    let (status, body) = request.await.expect("request task");
    assert_eq!(status, 200, "{body}");
    assert_eq!(sse_data(&body).last().map(String::as_str), Some("[DONE]"));
    assert!(sse_content(&body).contains("hello from up #9"), "{body}");
    assert_eq!(code, 0);
    assert_eq!(up.streams_dropped(), 0, "the upstream stream was cut");
    let row = try_log_row(&db, &id)
        .await
        .expect("the request log row was not flushed before exit");
    assert_eq!((row.status, row.output_tokens), (200, Some(20)));
}

both_backends!(
    an_in_flight_request_finishes_and_is_logged_when_the_server_is_terminated,
    an_in_flight_stream_runs_to_its_end_when_the_server_is_terminated,
);
