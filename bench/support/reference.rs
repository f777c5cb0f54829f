//! The reference proxy: the smallest pass-through built from the gateway's own stack (axum
//! server, one pooled reqwest client, default multi-thread tokio runtime), run as a separate
//! process like the gateway, with `TCP_NODELAY` on its accepted sockets. It authenticates nothing, parses
//! nothing and records nothing, so "gateway − reference" is what the gateway's own work
//! costs, while "reference − direct" is the price of any extra HTTP hop on this machine.
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

#[derive(Clone)]
struct Forward {
    client: reqwest::Client,
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
        .and_then(|rt| rt.block_on(serve()));
    Some(match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reference proxy failed: {e:#}");
            ExitCode::FAILURE
        }
    })
}

async fn serve() -> anyhow::Result<()> {
    let url = std::env::var(UPSTREAM_ENV).with_context(|| format!("{UPSTREAM_ENV} unset"))?;
    gateway::providers::install_crypto_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .context("building the client")?;
    let app = Router::new()
        .route("/v1/chat/completions", post(forward))
        .with_state(Forward { client, url });
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
    let mut request = f
        .client
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
