//! Tests for the `openai_compat` adapter against small HTTP servers started per test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::*;
use crate::config::schema::{ProviderKind, Timeouts};
use crate::config::secret::SecretField;
use crate::providers::testutil::{collect, config, items};
use crate::providers::{Endpoint, Provider, install_crypto_provider};

/// Serves `router` on 127.0.0.1:0 and returns its base URL, with a trailing slash on purpose.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/v1/")
}

fn provider(base_url: &str, timeouts: Timeouts) -> OpenAiCompatProvider {
    install_crypto_provider();
    let mut cfg = config("upstream", ProviderKind::OpenaiCompat);
    cfg.base_url = Some(base_url.into());
    cfg.api_key = SecretField::literal("sk-test-123");
    cfg.headers.insert("x-team".into(), "platform".into());
    cfg.headers
        .insert("OpenAI-Organization".into(), "org-1".into());
    cfg.timeouts = timeouts;
    OpenAiCompatProvider::from_config(&cfg, 1).unwrap()
}

fn timeouts(first_byte_ms: u64, total_ms: u64) -> Timeouts {
    Timeouts {
        connect_ms: 2_000,
        first_byte_ms,
        total_ms,
    }
}

fn chat(body: &'static str, stream: bool) -> UpstreamRequest {
    UpstreamRequest {
        endpoint: Endpoint::ChatCompletions,
        body: Bytes::from_static(body.as_bytes()),
        stream,
    }
}

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>);

async fn record(
    State(seen): State<Seen>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let stream = headers
        .get(header::ACCEPT)
        .is_some_and(|v| v == "text/event-stream");
    seen.0
        .lock()
        .unwrap()
        .push((uri.path().to_string(), headers, body));
    if stream {
        let chunks = ["data: {\"n\":1}\n\n", "data: [DONE]\n\n"].map(Ok::<_, std::io::Error>);
        return (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(stream::iter(chunks)),
        )
            .into_response();
    }
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        r#"{"error":{"message":"slow down"}}"#,
    )
        .into_response()
}

#[tokio::test]
async fn json_passes_through_with_status_content_type_auth_and_extra_headers() {
    let seen = Seen::default();
    let router = Router::new()
        .route("/v1/chat/completions", post(record))
        .with_state(seen.clone());
    let upstream = provider(&serve(router).await, Timeouts::default());

    let resp = upstream
        .send(chat(r#"{"model":"m","messages":[]}"#, false))
        .await
        .unwrap();

    assert_eq!(
        resp.status, 429,
        "4xx is returned, not turned into an error"
    );
    assert_eq!(
        resp.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        collect(resp.body).await,
        br#"{"error":{"message":"slow down"}}"#
    );
    let seen = seen.0.lock().unwrap();
    let (path, headers, body) = &seen[0];
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(body, r#"{"model":"m","messages":[]}"#);
    assert_eq!(headers["authorization"], "Bearer sk-test-123");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-team"], "platform");
    assert_eq!(headers["openai-organization"], "org-1");
    assert_ne!(headers["accept"], "text/event-stream");
}

#[tokio::test]
async fn streaming_requests_ask_for_event_stream_and_get_the_chunks() {
    let seen = Seen::default();
    let router = Router::new()
        .route("/v1/embeddings", post(record))
        .route("/v1/chat/completions", post(record))
        .with_state(seen.clone());
    let upstream = provider(&serve(router).await, Timeouts::default());

    let resp = upstream
        .send(chat(r#"{"stream":true}"#, true))
        .await
        .unwrap();

    assert_eq!(resp.status, 200);
    assert_eq!(resp.content_type.as_deref(), Some("text/event-stream"));
    assert_eq!(
        collect(resp.body).await,
        b"data: {\"n\":1}\n\ndata: [DONE]\n\n"
    );
    assert_eq!(seen.0.lock().unwrap()[0].1["accept"], "text/event-stream");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let upstream = provider(&format!("http://{addr}/v1"), Timeouts::default());

    let err = upstream.send(chat("{}", false)).await.unwrap_err();

    assert!(matches!(err, UpstreamError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_a_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
        }
    });
    let upstream = provider(&format!("http://{addr}/v1"), Timeouts::default());

    let err = upstream.send(chat("{}", false)).await.unwrap_err();

    assert!(matches!(err, UpstreamError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn headers_slower_than_first_byte_timeout_are_a_first_byte_timeout() {
    let router = Router::new().route("/v1/chat/completions", post(std::future::pending::<()>));
    let upstream = provider(&serve(router).await, timeouts(100, 60_000));

    let err = upstream.send(chat("{}", false)).await.unwrap_err();

    assert_eq!(err, UpstreamError::Timeout(TimeoutKind::FirstByte));
}

#[tokio::test]
async fn a_total_deadline_before_the_first_byte_deadline_wins_while_waiting_for_headers() {
    let router = Router::new().route("/v1/chat/completions", post(std::future::pending::<()>));
    let upstream = provider(&serve(router).await, timeouts(60_000, 100));

    let err = upstream.send(chat("{}", false)).await.unwrap_err();

    assert_eq!(err, UpstreamError::Timeout(TimeoutKind::Total));
}

#[tokio::test]
async fn a_body_slower_than_the_total_timeout_ends_with_a_total_timeout() {
    async fn slow() -> Body {
        let first = stream::once(async { Ok::<_, std::io::Error>("data: 1\n\n") });
        Body::from_stream(first.chain(stream::pending()))
    }
    let router = Router::new().route("/v1/chat/completions", post(slow));
    let upstream = provider(&serve(router).await, timeouts(60_000, 300));

    let resp = upstream.send(chat("{}", true)).await.unwrap();
    let items = items(resp.body).await;

    assert_eq!(
        items,
        vec![
            Ok(Bytes::from_static(b"data: 1\n\n")),
            Err(UpstreamError::Timeout(TimeoutKind::Total))
        ]
    );
}

#[tokio::test]
async fn a_body_cut_short_after_the_headers_is_a_body_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
            .await
            .unwrap();
    });
    let upstream = provider(&format!("http://{addr}/v1"), Timeouts::default());

    let resp = upstream.send(chat("{}", false)).await.unwrap();
    let items = items(resp.body).await;

    assert_eq!(resp_ok_prefix(&items), b"short");
    assert!(
        matches!(items.last(), Some(Err(UpstreamError::Body(_)))),
        "{items:?}"
    );
}

fn resp_ok_prefix(items: &[Result<Bytes, UpstreamError>]) -> Vec<u8> {
    items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .flatten()
        .copied()
        .collect()
}

/// Fires its sender when the server drops the response body it belongs to.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test]
async fn dropping_the_body_stream_closes_the_upstream_connection() {
    type Slot = Arc<Mutex<Option<oneshot::Sender<()>>>>;
    async fn endless(State(slot): State<Slot>) -> Body {
        let signal = DropSignal(slot.lock().unwrap().take());
        // A chunk every 20 ms, forever; only a closed connection ends it.
        let ticks = stream::unfold(signal, |signal| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((Ok::<_, std::io::Error>("data: tick\n\n"), signal))
        });
        Body::from_stream(ticks)
    }
    let (tx, mut dropped) = oneshot::channel();
    let slot: Slot = Arc::new(Mutex::new(Some(tx)));
    let router = Router::new()
        .route("/v1/chat/completions", post(endless))
        .with_state(slot);
    let upstream = provider(&serve(router).await, Timeouts::default());

    let mut resp = upstream.send(chat("{}", true)).await.unwrap();
    let first = resp.body.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: tick"));
    assert!(
        dropped.try_recv().is_err(),
        "server stream ended while the body was still held"
    );

    drop(resp);

    tokio::time::timeout(Duration::from_secs(10), dropped)
        .await
        .expect("the server's response stream was not dropped after the client dropped the body")
        .unwrap();
}

#[test]
fn debug_never_prints_the_key() {
    let upstream = provider("http://127.0.0.1:9/v1", Timeouts::default());
    let debug = format!("{:?}", Provider::OpenAiCompat(upstream));
    assert!(!debug.contains("sk-test-123"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(debug.contains("x-team"), "{debug}");
}

#[test]
fn invalid_header_names_are_rejected_when_building() {
    let mut cfg = config("up", ProviderKind::OpenaiCompat);
    cfg.base_url = Some("http://127.0.0.1:9/v1".into());
    cfg.headers.insert("bad header".into(), "x".into());
    let err = OpenAiCompatProvider::from_config(&cfg, 1).unwrap_err();
    assert!(format!("{err:#}").contains("bad header"), "{err:#}");
}

#[test]
fn a_base_url_with_a_query_is_rejected_when_building() {
    let mut cfg = config("up", ProviderKind::OpenaiCompat);
    cfg.base_url = Some("http://127.0.0.1:9/v1?api-version=1".into());
    let err = OpenAiCompatProvider::from_config(&cfg, 1).unwrap_err();
    assert!(
        format!("{err:#}").contains("must not have a query or fragment"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_connection_that_is_never_accepted_is_a_connect_timeout() {
    // Linux drops SYNs to a listener whose accept queue is full, so connecting hangs: fill
    // the queue (backlog 1) until a plain connect attempt stalls.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    loop {
        assert!(held.len() < 64, "the accept queue never filled up");
        let attempt = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), attempt).await {
            Ok(stream) => held.push(stream.unwrap()),
            Err(_elapsed) => break,
        }
    }
    let mut short_connect = timeouts(60_000, 60_000);
    short_connect.connect_ms = 200;
    let upstream = provider(&format!("http://{addr}/v1"), short_connect);

    let err = upstream.send(chat("{}", false)).await.unwrap_err();

    assert_eq!(err, UpstreamError::Timeout(TimeoutKind::Connect));
}
