//! The fake OpenAI-compatible upstream the benchmark measures against: axum on 127.0.0.1:0,
//! answering `POST /v1/chat/completions` as fast as it can with a fixed small completion, or a
//! short SSE stream for `"stream": true`. The upstream model `slow` instead keeps its stream
//! open, one chunk per second, so the benchmark can hold many streams at once.
//!
//! It must stay cheap and identical for both callers: the direct baseline and the gateway hit
//! the same handler, so whatever it costs cancels out of "added latency".

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use serde::Deserialize;

/// The upstream model name that answers with a long-lived stream.
pub const SLOW_MODEL: &str = "slow";
/// Pause between chunks of a slow stream.
const SLOW_INTERVAL: Duration = Duration::from_secs(1);
/// Content chunks in a slow stream (so even an abandoned one ends within ~2 minutes).
const SLOW_CHUNKS: usize = 120;

const COMPLETION: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}"#;

const ROLE_CHUNK: &str = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
const CONTENT_CHUNKS: [&str; 3] = [
    "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" from the\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" bench upstream.\"},\"finish_reason\":null}]}\n\n",
];
const FINISH_CHUNK: &str = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
const USAGE_CHUNK: &str = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}\n\n";
const DONE: &str = "data: [DONE]\n\n";

/// Just the request fields the fake needs.
#[derive(Deserialize)]
struct ChatRequest {
    model: String,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// Counters shared with the handlers.
#[derive(Default)]
pub struct Counters {
    /// Chat requests answered (any mode).
    pub requests: AtomicU64,
    /// Slow streams currently open: goes back down when the caller drops the connection.
    pub open_slow_streams: AtomicUsize,
    /// TCP connections accepted: with keep-alive, callers should open few.
    pub connections: AtomicU64,
}

/// A running fake upstream; stops when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub async fn start() -> anyhow::Result<Upstream> {
        let counters = Arc::new(Counters::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(counters.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fake upstream on 127.0.0.1:0")?;
        let addr = listener
            .local_addr()
            .context("fake upstream has no address")?;
        // Real upstreams (and their load balancers) answer with Nagle off; so does this one.
        let accepted = counters.clone();
        let listener = listener.tap_io(move |tcp| {
            accepted.connections.fetch_add(1, Ordering::Relaxed);
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Upstream {
            addr,
            counters,
            task,
        })
    }

    /// The provider `base_url` for the gateway config.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The chat-completions URL the direct baseline calls.
    pub fn chat_url(&self) -> String {
        format!("http://{}/v1/chat/completions", self.addr)
    }

    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::Relaxed)
    }

    pub fn open_slow_streams(&self) -> usize {
        self.counters.open_slow_streams.load(Ordering::SeqCst)
    }
}

async fn chat(State(counters): State<Arc<Counters>>, body: Bytes) -> Response {
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let Ok(req) = serde_json::from_slice::<ChatRequest>(&body) else {
        return (StatusCode::BAD_REQUEST, "fake upstream: unreadable body").into_response();
    };
    if !req.stream {
        return ([(header::CONTENT_TYPE, "application/json")], COMPLETION).into_response();
    }
    let include_usage = req.stream_options.is_some_and(|o| o.include_usage);
    let body = if req.model == SLOW_MODEL {
        slow_stream(&counters, include_usage)
    } else {
        let mut chunks = vec![ROLE_CHUNK];
        chunks.extend(CONTENT_CHUNKS);
        chunks.push(FINISH_CHUNK);
        if include_usage {
            chunks.push(USAGE_CHUNK);
        }
        chunks.push(DONE);
        Body::from_stream(futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, Infallible>(Bytes::from_static(c.as_bytes()))),
        ))
    };
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Counts a slow stream as open for as long as its body exists.
struct OpenStream(Arc<Counters>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_slow_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The role chunk at once, then one content chunk per [`SLOW_INTERVAL`], then the end.
fn slow_stream(counters: &Arc<Counters>, include_usage: bool) -> Body {
    counters.open_slow_streams.fetch_add(1, Ordering::SeqCst);
    let open = OpenStream(counters.clone());
    let stream = futures_util::stream::unfold((0usize, open), move |(i, open)| async move {
        let chunk = match i {
            0 => ROLE_CHUNK.to_string(),
            i if i <= SLOW_CHUNKS => {
                tokio::time::sleep(SLOW_INTERVAL).await;
                CONTENT_CHUNKS[i % CONTENT_CHUNKS.len()].to_string()
            }
            i if i == SLOW_CHUNKS + 1 => {
                let usage = if include_usage { USAGE_CHUNK } else { "" };
                format!("{FINISH_CHUNK}{usage}{DONE}")
            }
            _ => return None,
        };
        Some((Ok::<_, Infallible>(Bytes::from(chunk)), (i + 1, open)))
    });
    Body::from_stream(stream)
}
