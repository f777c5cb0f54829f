//! The reference proxy: the smallest pass-through built from the gateway's own stack (axum
//! server on the gateway's serving lanes, `gateway::http::lanes`, forwarding with the
//! gateway's upstream client, `gateway::providers::http_client`), run as a separate process
//! like the gateway, with `TCP_NODELAY` on its accepted sockets. It authenticates nothing,
//! parses nothing and records nothing, so "gateway − reference" is what the gateway's own work
//! costs, while "reference − direct" is the price of an extra HTTP hop on this stack.
//!
//! Other shapes, by `GATEWAY_BENCH_REFERENCE_SHAPE`, to see what each layer costs:
//! - `work-stealing`: a plain `axum::serve` on tokio's multi-thread runtime, same client;
//! - `hyper`: hyper's server connections directly, no router (`lean.rs`), same client;
//! - `relay`: the floor, a TCP relay with no HTTP work at all (`relay.rs`).
//!
//! The bench binary re-executes itself with [`ROLE_ENV`] set to run it.

use std::process::ExitCode;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use futures_util::StreamExt;
use gateway::providers::http_client::{Answer, AnswerBody, HttpClient};

/// Set to [`ROLE`] in the child's environment; the upstream URL goes in [`UPSTREAM_ENV`].
pub const ROLE_ENV: &str = "GATEWAY_BENCH_ROLE";
pub const ROLE: &str = "reference-proxy";
pub const UPSTREAM_ENV: &str = "GATEWAY_BENCH_UPSTREAM";
/// Passed through from the bench's own environment.
pub const NODELAY_ENV: &str = "GATEWAY_BENCH_REFERENCE_NODELAY";
pub const SHAPE_ENV: &str = "GATEWAY_BENCH_REFERENCE_SHAPE";
/// Number of lanes; unset, one per CPU.
pub const LANES_ENV: &str = "GATEWAY_BENCH_WORKERS";

/// Where and how the reference forwards: the gateway's client, which keeps idle upstream
/// connections per lane as the gateway's providers do.
#[derive(Clone)]
pub struct Forward {
    pub client: HttpClient,
    pub path: axum::http::Uri,
}

impl Forward {
    /// For `upstream_url` (`http://HOST:PORT/PATH`), with `lanes` serving lanes.
    pub fn new(upstream_url: &str, lanes: usize) -> anyhow::Result<Forward> {
        let url = url::Url::parse(upstream_url).context("the upstream URL")?;
        let mut headers = header::HeaderMap::new();
        // Like a provider's key, sent with every request.
        headers.insert(
            header::AUTHORIZATION,
            header::HeaderValue::from_static("Bearer reference"),
        );
        Ok(Forward {
            client: HttpClient::new(&url, lanes, std::time::Duration::from_secs(5), headers)?,
            path: url.path().parse().context("the upstream path")?,
        })
    }

    /// Sends `body` upstream; the answer's status, content type and body.
    pub async fn send(&self, body: Bytes) -> anyhow::Result<Answer> {
        let any = header::HeaderValue::from_static("*/*");
        self.client
            .post(&self.path, body, any)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    }
}

/// A JSON answer's body, whole; a single chunk is kept as it is, as the gateway does.
pub async fn whole(mut body: AnswerBody) -> Result<Bytes, hyper::Error> {
    let mut chunks = Vec::with_capacity(1);
    while let Some(chunk) = body.next().await {
        chunks.push(chunk?);
    }
    Ok(match chunks.len() {
        1 => chunks.pop().unwrap_or_default(),
        _ => Bytes::from(chunks.concat()),
    })
}

/// In the child: serve until SIGTERM. `None` in the parent (not asked to play a role).
pub fn run_if_requested() -> Option<ExitCode> {
    if std::env::var(ROLE_ENV).ok().as_deref() != Some(ROLE) {
        return None;
    }
    let served = std::env::var(UPSTREAM_ENV)
        .with_context(|| format!("{UPSTREAM_ENV} unset"))
        .and_then(|url| {
            let lanes = lane_count();
            match std::env::var(SHAPE_ENV).ok().as_deref() {
                Some("relay") => super::relay::serve(&url, lanes),
                Some("hyper") => super::lean::serve(Forward::new(&url, lanes)?, lanes),
                Some("work-stealing") => runtime()?.block_on(serve(Forward::new(&url, 1)?)),
                _ => runtime()?.block_on(serve_on_lanes(Forward::new(&url, lanes)?, lanes)),
            }
        });
    Some(match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reference proxy failed: {e:#}");
            ExitCode::FAILURE
        }
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// `GATEWAY_BENCH_WORKERS`, or one lane per CPU.
fn lane_count() -> usize {
    gateway::http::lanes::count(
        std::env::var(LANES_ENV)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    )
}

fn app(forward: Forward) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(relay))
        .with_state(forward)
}

/// Like the gateway: the router on its serving lanes (always `TCP_NODELAY`).
async fn serve_on_lanes(forward: Forward, lanes: usize) -> anyhow::Result<()> {
    use gateway::http::lanes::Lanes;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    listener
        .set_nonblocking(true)
        .context("non-blocking listener")?;
    let addr = listener.local_addr().context("no local address")?;
    let mut lanes = Lanes::start(&listener, app(forward), lanes)?;
    println!("listening on http://{addr}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    term.recv().await;
    lanes.stop();
    lanes.stopped().await?;
    lanes.release().await
}

/// An ordinary axum proxy: `axum::serve` on the multi-thread runtime.
async fn serve(forward: Forward) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding 127.0.0.1:0")?;
    let addr = listener.local_addr().context("no local address")?;
    // Nagle off, as a proxy relaying small SSE writes needs (see bench/README.md);
    // `GATEWAY_BENCH_REFERENCE_NODELAY=0` leaves it on, to show the difference.
    let nodelay = std::env::var(NODELAY_ENV).map_or(true, |v| v != "0");
    let listener = listener.tap_io(move |tcp| {
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
    });
    println!("listening on http://{addr}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    axum::serve(listener, app(forward))
        .with_graceful_shutdown(async move {
            term.recv().await;
        })
        .await
        .context("serving")
}

async fn relay(State(f): State<Forward>, body: Bytes) -> Response {
    let answer = match f.send(body).await {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer
        .content_type
        .unwrap_or_else(|| "application/json".into());
    // Like the gateway: SSE passes through chunk by chunk, JSON is read whole and sent at once.
    let body = if content_type.starts_with("text/event-stream") {
        Body::from_stream(answer.body)
    } else {
        match whole(answer.body).await {
            Ok(b) => Body::from(b),
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}
