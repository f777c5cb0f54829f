//! A fake OpenAI-compatible upstream on 127.0.0.1:0 for data-plane tests: JSON and SSE answers
//! tagged with its name, switchable failure behaviours, a record of every request it received,
//! and a count of streams the gateway abandoned (to prove client disconnects cancel upstream).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

/// How the upstream answers.
#[derive(Debug, Clone)]
pub enum Behavior {
    Ok,
    /// Answer this status with an OpenAI-shaped error carrying the message.
    Status(u16, String),
    /// Wait this long before sending headers.
    Delay(Duration),
    /// Stream: send the role chunk, then fail the connection.
    BreakAfterFirstChunk,
    /// Stream: one content chunk per interval, `n` times.
    Slow {
        interval: Duration,
        chunks: usize,
    },
}

/// A request the upstream received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

pub struct Shared {
    pub name: String,
    pub behavior: Mutex<Behavior>,
    pub received: Mutex<Vec<Received>>,
    pub streams_dropped: AtomicUsize,
}

pub struct FakeUpstream {
    /// Base URL including `/v1`, as a provider's `base_url`.
    pub base_url: String,
    pub shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeUpstream {
    pub async fn start(name: &str, behavior: Behavior) -> FakeUpstream {
        let shared = Arc::new(Shared {
            name: name.into(),
            behavior: Mutex::new(behavior),
            received: Mutex::new(Vec::new()),
            streams_dropped: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeUpstream {
            base_url: format!("http://{addr}/v1"),
            shared,
            task,
        }
    }

    pub fn set(&self, behavior: Behavior) {
        *self.shared.behavior.lock().expect("lock") = behavior;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.shared.received.lock().expect("lock").len()
    }

    pub fn streams_dropped(&self) -> usize {
        self.shared.streams_dropped.load(Ordering::SeqCst)
    }
}

fn record(shared: &Shared, path: &str, headers: HeaderMap, body: &Bytes) -> Value {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    shared.received.lock().expect("lock").push(Received {
        path: path.into(),
        headers,
        body: body.clone(),
    });
    body
}

async fn before(shared: &Shared) -> Option<Response> {
    let behavior = shared.behavior.lock().expect("lock").clone();
    match behavior {
        Behavior::Status(code, message) => Some(
            (
                StatusCode::from_u16(code).expect("status"),
                Json(json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})),
            )
                .into_response(),
        ),
        Behavior::Delay(d) => {
            tokio::time::sleep(d).await;
            None
        }
        _ => None,
    }
}

fn usage() -> Value {
    json!({"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30})
}

async fn chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let body = record(&shared, "/v1/chat/completions", headers, &body);
    if let Some(r) = before(&shared).await {
        return r;
    }
    let model = body["model"].as_str().unwrap_or("?").to_string();
    let text = format!("hello from {}", shared.name);
    if body["stream"] != json!(true) {
        return Json(json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage(),
        }))
        .into_response();
    }
    let include_usage = body["stream_options"]["include_usage"] == json!(true);
    let chunk = |delta: Value, finish: Value| {
        let c = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        Bytes::from(format!("data: {c}\n\n"))
    };
    let behavior = shared.behavior.lock().expect("lock").clone();
    let (interval, content_chunks) = match behavior {
        Behavior::Slow { interval, chunks } => (interval, chunks),
        _ => (Duration::ZERO, 3),
    };
    let break_after_first = matches!(behavior, Behavior::BreakAfterFirstChunk);
    let first = chunk(json!({"role": "assistant", "content": ""}), Value::Null);
    let mut events: Vec<Bytes> = (0..content_chunks)
        .map(|i| chunk(json!({"content": format!("{text} #{i} ")}), Value::Null))
        .collect();
    events.push(chunk(json!({}), json!("stop")));
    if include_usage {
        let u = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
            "model": model, "choices": [], "usage": usage()});
        events.push(Bytes::from(format!("data: {u}\n\n")));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    let guard = DropGuard {
        shared: shared.clone(),
        finished: false,
    };
    let stream = async_stream(first, events, interval, break_after_first, guard);
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("response")
}

/// Counts streams dropped before their last event was sent.
struct DropGuard {
    shared: Arc<Shared>,
    finished: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.streams_dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn async_stream(
    first: Bytes,
    events: Vec<Bytes>,
    interval: Duration,
    break_after_first: bool,
    guard: DropGuard,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(
        (Some(first), events.into_iter(), guard),
        move |(first, mut rest, mut guard)| async move {
            if let Some(f) = first {
                return Some((Ok(f), (None, rest, guard)));
            }
            if break_after_first {
                // hyper discards bytes it has not flushed yet when a body fails; yielding once
                // lets it write the first chunk out, so the break really comes after it.
                tokio::task::yield_now().await;
                guard.finished = true;
                return Some((
                    Err(std::io::Error::other("upstream broke")),
                    (None, rest, guard),
                ));
            }
            if !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            match rest.next() {
                Some(e) => Some((Ok(e), (None, rest, guard))),
                None => {
                    guard.finished = true;
                    drop(guard);
                    None
                }
            }
        },
    )
}

async fn embeddings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = record(&shared, "/v1/embeddings", headers, &body);
    if let Some(r) = before(&shared).await {
        return r;
    }
    Json(json!({
        "object": "list", "model": body["model"],
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }))
    .into_response()
}
