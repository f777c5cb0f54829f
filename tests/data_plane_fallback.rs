//! Fallback and streaming failures: a 5xx, a 429, a first-byte timeout or a refused connection on
//! the first route hands the request to the next one (both attempts logged); a stream that
//! breaks after its first chunk is not retried; a client that disconnects cancels upstream.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::plane::{
    BASE, chat, chat_stream, closed_port, log_row, post, ready_key, request_id, sse_content,
};
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb, eventually};
use futures_util::StreamExt;
use serde_json::Value;

struct Setup {
    server: Server,
    db: TestDb,
    key: String,
}

/// Model `m`: route `bad` (priority 0, first-byte timeout 300 ms) at `bad_url`, then route
/// `good` (priority 1).
async fn setup(backend: Backend, bad_url: &str, good: &FakeUpstream) -> Setup {
    let db = TestDb::new(backend).await;
    let yaml = format!(
        r#"{BASE}
providers:
  - {{ id: bad, kind: openai_compat, base_url: "{bad_url}", timeouts: {{ first_byte_ms: 300 }} }}
  - {{ id: good, kind: openai_compat, base_url: "{good}" }}
models:
  - id: m
    routes:
      - {{ provider: bad, model: up-m, priority: 0 }}
      - {{ provider: good, model: up-m, priority: 1 }}
"#,
        good = good.base_url
    );
    let gw = Gateway::new(&db, &yaml);
    let server = gw.serve().await;
    let key = ready_key(&gw, &server, &[]).await.key;
    Setup { server, db, key }
}

/// Sends one JSON and one streaming chat to `m`; both must be served by `good` after a failed
/// attempt on `bad`. Returns the first attempt of each request's log row.
async fn served_by_the_second_route(s: &Setup, good: &FakeUpstream) -> Vec<Value> {
    let mut first_attempts = Vec::new();
    for body in [chat("m"), chat_stream("m")] {
        let id = request_id();
        let r = post(
            &s.server,
            "/v1/chat/completions",
            Some(&s.key),
            &body,
            Some(&id),
        )
        .await;
        assert_eq!(r.status, 200, "{body}: {}", r.text);
        let text = if body["stream"] == true {
            sse_content(&r.text)
        } else {
            r.json()["choices"][0]["message"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(text.starts_with("hello from good"), "{text}");
        let row = log_row(&s.db, &id).await;
        assert_eq!(row.status, 200);
        assert_eq!(row.provider.as_deref(), Some("good"));
        assert_eq!(row.attempts.len(), 2, "{:?}", row.attempts);
        assert_eq!(row.attempts[0]["provider"], "bad");
        assert!(
            row.attempts[0]["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "the failed attempt has no error: {:?}",
            row.attempts
        );
        assert_eq!(row.attempts[1]["provider"], "good");
        assert_eq!(row.attempts[1]["status"], 200);
        first_attempts.push(row.attempts[0].clone());
    }
    assert_eq!(good.count(), 2);
    first_attempts
}

async fn a_5xx_on_the_first_route_falls_back_to_the_next_and_both_attempts_are_logged(
    backend: Backend,
) {
    let bad = FakeUpstream::start("bad", Behavior::Status(503, "overloaded".into())).await;
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let s = setup(backend, &bad.base_url, &good).await;
    for first in served_by_the_second_route(&s, &good).await {
        assert_eq!(first["status"], 503, "{first}");
        assert!(
            first["error"].as_str().unwrap().contains("overloaded"),
            "{first}"
        );
    }
    assert_eq!(bad.count(), 2);
}

async fn a_429_on_the_first_route_falls_back_to_the_next_and_both_attempts_are_logged(
    backend: Backend,
) {
    let bad = FakeUpstream::start("bad", Behavior::Status(429, "rate limited".into())).await;
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let s = setup(backend, &bad.base_url, &good).await;
    for first in served_by_the_second_route(&s, &good).await {
        assert_eq!(first["status"], 429, "{first}");
        assert!(
            first["error"].as_str().unwrap().contains("rate limited"),
            "{first}"
        );
    }
}

async fn a_first_byte_timeout_on_the_first_route_falls_back_to_the_next(backend: Backend) {
    let bad = FakeUpstream::start("bad", Behavior::Delay(Duration::from_secs(5))).await;
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let s = setup(backend, &bad.base_url, &good).await;
    for first in served_by_the_second_route(&s, &good).await {
        assert!(first["status"].is_null(), "{first}");
        assert!(
            first["error"].as_str().unwrap().contains("timeout"),
            "{first}"
        );
        let latency = first["latency_us"].as_u64().unwrap();
        assert!(
            (250_000..5_000_000).contains(&latency),
            "the timed-out attempt took {latency} µs"
        );
    }
}

async fn a_refused_connection_on_the_first_route_falls_back_to_the_next(backend: Backend) {
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let dead = format!("http://127.0.0.1:{}/v1", closed_port());
    let s = setup(backend, &dead, &good).await;
    for first in served_by_the_second_route(&s, &good).await {
        assert!(first["status"].is_null(), "{first}");
    }
}

async fn a_stream_that_breaks_after_its_first_chunk_is_not_retried_elsewhere(backend: Backend) {
    let bad = FakeUpstream::start("bad", Behavior::BreakAfterFirstChunk).await;
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let s = setup(backend, &bad.base_url, &good).await;
    let id = request_id();
    let resp = common::http()
        .post(s.server.url("/v1/chat/completions"))
        .bearer_auth(&s.key)
        .header("x-request-id", &id)
        .json(&chat_stream("m"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200, "the stream was committed");
    let mut body = resp.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(item) = body.next().await {
        match item {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains(r#""role":"assistant""#), "{text}");
    assert!(
        !text.contains("[DONE]"),
        "the stream looks complete: {text}"
    );
    assert!(!text.contains("hello from good"), "{text}");
    assert!(failed, "the client was not told the stream broke: {text}");
    assert_eq!(good.count(), 0, "the stream was retried on another route");

    let row = log_row(&s.db, &id).await;
    assert_eq!(row.attempts.len(), 1, "{:?}", row.attempts);
    assert_eq!(row.provider.as_deref(), Some("bad"));
    assert_ne!(row.status, 200, "a broken stream was logged as a success");
    assert!(row.error_code.is_some(), "{row:?}");
}

async fn a_client_that_disconnects_mid_stream_cancels_the_upstream_request(backend: Backend) {
    let slow = FakeUpstream::start(
        "bad",
        Behavior::Slow {
            interval: Duration::from_millis(100),
            chunks: 100,
        },
    )
    .await;
    let good = FakeUpstream::start("good", Behavior::Ok).await;
    let s = setup(backend, &slow.base_url, &good).await;
    let id = request_id();
    let resp = common::http()
        .post(s.server.url("/v1/chat/completions"))
        .bearer_auth(&s.key)
        .header("x-request-id", &id)
        .json(&chat_stream("m"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.bytes_stream();
    let first = body.next().await.expect("a first chunk").expect("chunk");
    assert!(!first.is_empty());
    drop(body);

    eventually(
        Duration::from_secs(5),
        "the upstream stream to be dropped",
        || async { (slow.streams_dropped() == 1).then_some(()) },
    )
    .await;
    let row = log_row(&s.db, &id).await;
    assert_eq!(row.status, 499);
    assert_eq!(good.count(), 0);
}

both_backends!(
    a_5xx_on_the_first_route_falls_back_to_the_next_and_both_attempts_are_logged,
    a_429_on_the_first_route_falls_back_to_the_next_and_both_attempts_are_logged,
    a_first_byte_timeout_on_the_first_route_falls_back_to_the_next,
    a_refused_connection_on_the_first_route_falls_back_to_the_next,
    a_stream_that_breaks_after_its_first_chunk_is_not_retried_elsewhere,
    a_client_that_disconnects_mid_stream_cancels_the_upstream_request,
);
