//! Calling upstreams with fallback: try routes in the planned order; on connect error,
//! timeout, 429 or 5xx — always before any byte reached the client — move to the next route.
//! Streams commit once their first chunk arrived; JSON bodies once fully read.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::error::{ProxyError, UpstreamFailure};
use super::exchange::{Attempt, Exchange};
use super::request::ParsedRequest;
use super::routing;
use crate::catalog::{Model, Route};
use crate::http::AppState;
use crate::providers::{BodyStream, Provider, UpstreamError, UpstreamRequest};

/// What the client will receive.
pub enum Body {
    Full(Bytes),
    Stream { first: Bytes, rest: BodyStream },
}

/// A successful (non-retryable) upstream answer.
pub struct Served {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Body,
}

/// Tries the model's routes until one answers; records every attempt on `ex`.
pub async fn forward(
    state: &AppState,
    req: &ParsedRequest,
    model: &Model,
    ex: &mut Exchange,
) -> Result<Served, ProxyError> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let order = routing::plan(&model.routes, now_ms, &mut rand::rng());
    let mut last = None;
    for route in order {
        let Some(provider) = state.providers.get(&route.provider_id) else {
            let why = format!(
                "provider {} is not configured on this gateway",
                route.provider_id
            );
            ex.attempts.push(Attempt {
                provider: route.provider_id.clone(),
                status: None,
                error: Some(why.clone()),
                latency_us: 0,
            });
            last = Some(UpstreamFailure::Unreachable(why));
            continue;
        };
        let started = Instant::now();
        let result = attempt(provider, req, &route).await;
        let latency_us = started.elapsed().as_micros() as u64;
        ex.upstream_us += latency_us;
        match result {
            Ok((status, content_type, body)) => {
                route.health.record_success();
                ex.attempts.push(Attempt {
                    provider: route.provider_id.clone(),
                    status: Some(status),
                    error: None,
                    latency_us,
                });
                ex.provider_id = Some(route.provider_id.clone());
                ex.price = route.price;
                return Ok(Served {
                    status,
                    content_type,
                    body,
                });
            }
            Err((failure, status)) => {
                route
                    .health
                    .record_failure(chrono::Utc::now().timestamp_millis());
                tracing::debug!(provider = %route.provider_id, ?failure, "upstream attempt failed");
                ex.attempts.push(Attempt {
                    provider: route.provider_id.clone(),
                    status,
                    error: Some(describe(&failure)),
                    latency_us,
                });
                last = Some(failure);
            }
        }
    }
    Err(match last {
        Some(f) => ProxyError::Upstream(f),
        None => ProxyError::NoRoute {
            model: model.id.clone(),
        },
    })
}

type AttemptResult = Result<(u16, Option<String>, Body), (UpstreamFailure, Option<u16>)>;

async fn attempt(provider: &Provider, req: &ParsedRequest, route: &Route) -> AttemptResult {
    let upstream = UpstreamRequest {
        endpoint: req.endpoint,
        body: req.upstream_body(&route.upstream_model),
        stream: req.stream,
    };
    let resp = provider
        .send(upstream)
        .await
        .map_err(|e| (failure(provider.id(), e), None))?;
    let status = resp.status;
    if status == 429 || status >= 500 {
        let text = read_prefix(resp.body, 8 * 1024).await;
        let message = format!("{}: {}", provider.id(), error_message(&text, status));
        let failure = if status == 429 {
            UpstreamFailure::RateLimited(message)
        } else {
            UpstreamFailure::ServerError { status, message }
        };
        return Err((failure, Some(status)));
    }
    let mut body = resp.body;
    if req.stream && status == 200 {
        return match body.next().await {
            Some(Ok(first)) => Ok((
                status,
                resp.content_type,
                Body::Stream { first, rest: body },
            )),
            Some(Err(e)) => Err((failure(provider.id(), e), Some(status))),
            None => Ok((status, resp.content_type, Body::Full(Bytes::new()))),
        };
    }
    // Most answers arrive in one chunk: keep it as it is rather than copying it.
    let mut chunks: Vec<Bytes> = Vec::with_capacity(1);
    while let Some(chunk) = body.next().await {
        chunks.push(chunk.map_err(|e| (failure(provider.id(), e), Some(status)))?);
    }
    let full = match chunks.len() {
        1 => chunks.pop().unwrap_or_default(),
        _ => Bytes::from(chunks.concat()),
    };
    Ok((status, resp.content_type, Body::Full(full)))
}

fn failure(provider: &str, e: UpstreamError) -> UpstreamFailure {
    match e {
        UpstreamError::Connect(m) => UpstreamFailure::Unreachable(format!("{provider}: {m}")),
        UpstreamError::Timeout(kind) => {
            UpstreamFailure::Timeout(format!("{provider}: {kind:?} timeout"))
        }
        UpstreamError::Body(m) => UpstreamFailure::ServerError {
            status: 502,
            message: format!("{provider}: response body failed: {m}"),
        },
    }
}

fn describe(f: &UpstreamFailure) -> String {
    match f {
        UpstreamFailure::Unreachable(m)
        | UpstreamFailure::Timeout(m)
        | UpstreamFailure::RateLimited(m) => m.clone(),
        UpstreamFailure::ServerError { message, .. } => message.clone(),
    }
}

/// Reads at most `limit` bytes of an error body (errors are short; never wait for more).
async fn read_prefix(mut body: BodyStream, limit: usize) -> Bytes {
    let mut out = BytesMut::new();
    while out.len() < limit {
        match body.next().await {
            Some(Ok(chunk)) => out.extend_from_slice(&chunk),
            _ => break,
        }
    }
    out.truncate(limit);
    out.freeze()
}

/// `error.message` of an OpenAI-shaped error body, else the text, else the status.
fn error_message(body: &[u8], status: u16) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .or_else(|| {
            let text = String::from_utf8_lossy(body).trim().to_string();
            (!text.is_empty()).then(|| text.chars().take(300).collect())
        })
        .unwrap_or_else(|| format!("HTTP {status}"))
}
