//! The reference proxy: the smallest pass-through built from the gateway's own stack (axum
//! server on the gateway's serving lanes, `gateway::http::lanes`, with one pooled reqwest
//! client per lane), run as a separate process like the gateway, with `TCP_NODELAY` on its
//! accepted sockets. It authenticates nothing, parses nothing and records nothing, so
//! "gateway − reference" is what the gateway's own work costs, while "reference − direct" is
//! the price of any extra HTTP hop on this machine.
//!
//! `GATEWAY_BENCH_REFERENCE_SHAPE=work-stealing` runs it instead as a plain `axum::serve` on
//! tokio's default multi-thread runtime with one shared client: what an ordinary axum + reqwest
//! proxy costs, to compare the two shapes in one run.
//!
//! The bench binary re-executes itself with [`ROLE_ENV`] set to run it.

use std::process::ExitCode;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;

/// Set to [`ROLE`] in the child's environment; the upstream URL goes in [`UPSTREAM_ENV`].
pub const ROLE_ENV: &str = "GATEWAY_BENCH_ROLE";
pub const ROLE: &str = "reference-proxy";
pub const UPSTREAM_ENV: &str = "GATEWAY_BENCH_UPSTREAM";
/// Passed through from the bench's own environment.
pub const NODELAY_ENV: &str = "GATEWAY_BENCH_REFERENCE_NODELAY";
pub const SHAPE_ENV: &str = "GATEWAY_BENCH_REFERENCE_SHAPE";
/// Number of lanes; unset, one per CPU.
pub const LANES_ENV: &str = "GATEWAY_BENCH_WORKERS";

#[derive(Clone)]
struct Forward {
    /// One per lane (the last one off the lanes), as the gateway's providers keep them.
    clients: std::sync::Arc<[reqwest::Client]>,
    url: String,
}

/// In the child: serve until SIGTERM. `None` in the parent (not asked to play a role).
pub fn run_if_requested() -> Option<ExitCode> {
    if std::env::var(ROLE_ENV).ok().as_deref() != Some(ROLE) {
        return None;
    }
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| {
            if std::env::var(SHAPE_ENV).ok().as_deref() == Some("work-stealing") {
                rt.block_on(serve())
            } else {
                rt.block_on(serve_on_lanes())
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

/// The router with `clients` clients (one per lane, plus one).
fn app(clients: usize) -> anyhow::Result<Router> {
    let url = std::env::var(UPSTREAM_ENV).with_context(|| format!("{UPSTREAM_ENV} unset"))?;
    gateway::providers::install_crypto_provider();
    let clients = (0..clients)
        .map(|_| reqwest::Client::builder().no_proxy().build())
        .collect::<Result<_, _>>()
        .context("building the client")?;
    Ok(Router::new()
        .route("/v1/chat/completions", post(forward))
        .with_state(Forward { clients, url }))
}

/// Like the gateway: the router on its serving lanes (always `TCP_NODELAY`).
async fn serve_on_lanes() -> anyhow::Result<()> {
    use gateway::http::lanes::{self, Lanes};
    let n = lanes::count(
        std::env::var(LANES_ENV)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    listener
        .set_nonblocking(true)
        .context("non-blocking listener")?;
    let addr = listener.local_addr().context("no local address")?;
    let mut lanes = Lanes::start(&listener, app(n + 1)?, n)?;
    println!("listening on http://{addr}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    term.recv().await;
    lanes.stop();
    lanes.stopped().await?;
    lanes.release().await
}

/// An ordinary axum + reqwest proxy: `axum::serve` on the multi-thread runtime.
async fn serve() -> anyhow::Result<()> {
    let app = app(1)?;
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
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            term.recv().await;
        })
        .await
        .context("serving")
}

async fn forward(State(f): State<Forward>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = gateway::http::lanes::pick(&f.clients)
        .post(&f.url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, auth.clone());
    }
    let upstream = match request.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status =
        StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(header::HeaderValue::from_static("application/json"));
    // Like the gateway: SSE passes through chunk by chunk, JSON is read whole and sent at once.
    let body = if content_type.as_bytes().starts_with(b"text/event-stream") {
        Body::from_stream(upstream.bytes_stream())
    } else {
        match upstream.bytes().await {
            Ok(b) => Body::from(b),
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}
