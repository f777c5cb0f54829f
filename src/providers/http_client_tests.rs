//! Tests for the upstream client against raw TCP servers started per test, which count the
//! connections they accept and decide when to close them.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

/// A server on 127.0.0.1:0 that hands each connection to `handle`. Returns the origin and
/// the count of connections accepted.
async fn counting_server<F, Fut>(handle: F) -> (url::Url, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(tcp));
        }
    });
    (origin, accepted)
}

/// Answers every request with [`ANSWER`]; after each answer, closes the connection once
/// `close_after` has passed (`None`: keeps it open).
async fn server(close_after: Option<Duration>) -> (url::Url, Arc<AtomicUsize>) {
    counting_server(move |mut tcp| async move {
        let mut buf = vec![0; 64 * 1024];
        let mut seen = Vec::new();
        loop {
            let n = tcp.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            seen.extend_from_slice(&buf[..n]);
            // Every request here has a 2-byte body after its head.
            if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n")
                && seen.len() >= end + 4 + 2
            {
                seen.drain(..end + 6);
                tcp.write_all(ANSWER).await.unwrap();
                if let Some(after) = close_after {
                    tokio::time::sleep(after).await;
                    return;
                }
            }
        }
    })
    .await
}

fn client(origin: &url::Url) -> HttpClient {
    HttpClient::new(origin, 1, Duration::from_secs(2), HeaderMap::new()).unwrap()
}

/// POSTs `{}` to `/v1/chat/completions`.
async fn send(client: &HttpClient, accept: &'static str) -> Result<Answer, SendError> {
    client
        .post(
            &Uri::from_static("/v1/chat/completions"),
            Bytes::from_static(b"{}"),
            HeaderValue::from_static(accept),
        )
        .await
}

/// [`send`], then reads the answer to its end.
async fn call(client: &HttpClient) -> Result<Vec<u8>, String> {
    let answer = send(client, "application/json")
        .await
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(answer.status, 200);
    let mut body = Vec::new();
    let mut stream = answer.body;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(|e| e.to_string())?);
    }
    Ok(body)
}

#[tokio::test]
async fn an_answer_read_to_the_end_gives_its_connection_back_for_the_next_request() {
    let (origin, accepted) = server(None).await;
    let client = client(&origin);
    for _ in 0..5 {
        assert_eq!(call(&client).await.unwrap(), b"{}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_pooled_connection_the_server_closed_is_skipped_not_failed() {
    let (origin, accepted) = server(Some(Duration::from_millis(20))).await;
    let client = client(&origin);
    for _ in 0..3 {
        assert_eq!(call(&client).await.unwrap(), b"{}");
        // Long enough for the server to close the connection that is now idle in the pool.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_answer_dropped_before_its_end_closes_its_connection_and_the_next_goes_on_a_new_one() {
    let closed = Arc::new(AtomicUsize::new(0));
    let seen_closed = closed.clone();
    let (origin, accepted) = counting_server(move |mut tcp| {
        let closed = seen_closed.clone();
        async move {
            let mut buf = vec![0; 4096];
            let _ = tcp.read(&mut buf).await;
            // Headers and a first chunk of a body that is never finished.
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n")
                .await;
            // Nothing more is sent, so this returns only when the client closes.
            if matches!(tcp.read(&mut buf).await, Ok(0) | Err(_)) {
                closed.fetch_add(1, Ordering::SeqCst);
            }
        }
    })
    .await;
    let client = client(&origin);
    for round in 1..=2 {
        let mut body = send(&client, "text/event-stream").await.unwrap().body;
        assert_eq!(body.next().await.unwrap().unwrap(), "a");
        drop(body);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while closed.load(Ordering::SeqCst) < round && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            closed.load(Ordering::SeqCst),
            round,
            "the upstream saw the close"
        );
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn https_to_a_server_that_does_not_speak_tls_fails_in_the_handshake() {
    // A plain-text server that speaks first, so the client's handshake reads HTTP, not TLS.
    let (mut origin, _) = counting_server(|mut tcp| async move {
        let _ = tcp.write_all(ANSWER).await;
        let _ = tcp.read(&mut [0; 4096]).await;
    })
    .await;
    origin.set_scheme("https").unwrap();
    let client = client(&origin);
    match send(&client, "application/json").await {
        Err(SendError::Failed(why)) => assert!(why.starts_with("TLS with 127.0.0.1"), "{why}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a plain-text server answered over TLS"),
    }
}

#[test]
fn the_host_header_names_a_non_default_port_and_ipv6_hosts_connect_unbracketed() {
    let v6 = client(&url::Url::parse("http://[::1]:8080/v1").unwrap());
    assert_eq!(v6.shared.host, "::1");
    assert_eq!(v6.shared.port, 8080);
    assert_eq!(v6.shared.host_header, "[::1]:8080");
    let named = client(&url::Url::parse("https://api.example.com/v1").unwrap());
    assert_eq!(named.shared.port, 443);
    assert_eq!(named.shared.host_header, "api.example.com");
    let Err(e) = HttpClient::new(
        &url::Url::parse("ftp://example.com").unwrap(),
        1,
        Duration::from_secs(1),
        HeaderMap::new(),
    ) else {
        panic!("ftp accepted");
    };
    assert!(e.to_string().contains("\"ftp\" is not supported"), "{e}");
}
