//! `/v1` routes: thin handlers that authenticate, validate, resolve the model, forward, and
//! shape the answer. Every response carries `x-request-id` (set by the router) and
//! `x-gateway-overhead-us`, the time the gateway itself added.

use axum::body::Body as AxumBody;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::json;

use super::error::ProxyError;
use super::exchange::Exchange;
use super::forward::{Body, forward};
use super::request::ParsedRequest;
use super::stream::Relay;
use super::usage::{self, Usage};
use super::{OVERHEAD_HEADER, auth};
use crate::http::{AppState, RequestIds};
use crate::providers::Endpoint;
use crate::recording::capture::CaptureMode;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/chat/completions",
            post(chat_completions).fallback(method_not_allowed),
        )
        .route(
            "/v1/embeddings",
            post(embeddings).fallback(method_not_allowed),
        )
        .route("/v1/models", get(list_models).fallback(method_not_allowed))
        .route(
            "/v1/models/{id}",
            get(get_model).fallback(method_not_allowed),
        )
        .route("/v1", any(unknown))
        .route("/v1/{*rest}", any(unknown))
        .layer(axum::middleware::from_fn(overhead_header))
}

/// Adds `x-gateway-overhead-us` where a handler did not (those that wait on an upstream set
/// it themselves, excluding the upstream's time).
async fn overhead_header(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    if response.headers().contains_key(OVERHEAD_HEADER) {
        return response;
    }
    with_overhead(response, started.elapsed().as_micros() as u64)
}

async fn chat_completions(
    State(state): State<AppState>,
    Extension(ids): Extension<RequestIds>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    proxy(state, ids, headers, body, Endpoint::ChatCompletions).await
}

async fn embeddings(
    State(state): State<AppState>,
    Extension(ids): Extension<RequestIds>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    proxy(state, ids, headers, body, Endpoint::Embeddings).await
}

async fn proxy(
    state: AppState,
    ids: RequestIds,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    endpoint: Endpoint,
) -> Response {
    let started = std::time::Instant::now();
    let cred = match auth::authenticate(&state.keys, &headers) {
        Ok(c) => c,
        Err(e) => return with_overhead(e.into_response(), started.elapsed().as_micros() as u64),
    };
    let ex = Exchange::new(
        ids,
        started,
        endpoint_name(endpoint),
        cred.principal.clone(),
    );
    match handle(&state, &cred.grants, body, endpoint, ex).await {
        Ok(response) => response,
        Err((e, mut ex)) => {
            state
                .recorder
                .record(ex.finish(e.status().as_u16(), Some(e.code())));
            with_overhead(e.into_response(), ex.overhead_us())
        }
    }
}

async fn handle(
    state: &AppState,
    grants: &crate::credentials::Grants,
    body: Result<Bytes, BytesRejection>,
    endpoint: Endpoint,
    mut ex: Exchange,
) -> Result<Response, (ProxyError, Exchange)> {
    let bytes = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = state.config.server.body_limit_bytes;
            return Err((ProxyError::PayloadTooLarge { limit }, ex));
        }
        Err(e) => return Err((ProxyError::InvalidJson(e.body_text()), ex)),
    };
    let req = match ParsedRequest::parse(endpoint, &bytes) {
        Ok(r) => r,
        Err(e) => return Err((e, ex)),
    };
    ex.model_requested = Some(req.model.clone());
    let Some(model) = state.catalog.resolve(&req.model) else {
        return Err((
            ProxyError::ModelNotFound {
                model: req.model.clone(),
            },
            ex,
        ));
    };
    if !grants.allows(&req.model, &model.id) {
        return Err((
            ProxyError::ModelNotAllowed {
                model: req.model.clone(),
            },
            ex,
        ));
    }
    ex.model_served = Some(model.id.clone());
    let (input, output) = req.token_bounds(model.max_output_tokens);
    let estimate = usage::max_cost(&model.routes, input, output);
    let reservation = match state.budgets.reserve(&ex.principal, estimate).await {
        Ok(r) => r,
        Err(e) => return Err((ProxyError::Budget(e), ex)),
    };
    ex.flags.extend(reservation.flags.iter().cloned());
    let capture = &state.settings.current().capture;
    if capture.mode != CaptureMode::Off {
        ex.payload = capture.capture(req.body(), bytes.len());
    }
    let served = match forward(state, &req, model, &mut ex).await {
        Ok(s) => s,
        Err(e) => return Err((e, ex)),
    };
    let content_type = served
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".into());
    let overhead = ex.overhead_us();
    let status = StatusCode::from_u16(served.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let response = match served.body {
        Body::Full(bytes) => {
            if status.is_success() {
                ex.usage = Usage::from_body(&bytes);
                if ex.usage.is_none() {
                    ex.charged = Some(reservation.amount());
                }
            }
            reservation.settle(ex.cost().unwrap_or(0)).await;
            let code = (!status.is_success()).then_some("upstream_client_error");
            state.recorder.record(ex.finish(served.status, code));
            (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        Body::Stream { first, rest } => {
            let strip = !req.client_wants_usage;
            let relay = Relay::new(
                first,
                rest,
                strip,
                ex,
                reservation,
                state.recorder.clone(),
                &state.streams,
            );
            (
                status,
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                AxumBody::from_stream(relay),
            )
                .into_response()
        }
    };
    Ok(with_overhead(response, overhead))
}

fn endpoint_name(e: Endpoint) -> &'static str {
    match e {
        Endpoint::ChatCompletions => "chat.completions",
        Endpoint::Embeddings => "embeddings",
    }
}

fn with_overhead(mut response: Response, micros: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&micros.to_string()) {
        response.headers_mut().insert(OVERHEAD_HEADER, v);
    }
    response
}

fn model_json(id: &str) -> serde_json::Value {
    json!({ "id": id, "object": "model", "created": 0, "owned_by": "gateway" })
}

/// The models this credential may use, in OpenAI's list shape.
async fn list_models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cred = match auth::authenticate(&state.keys, &headers) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let data: Vec<serde_json::Value> = state
        .catalog
        .ids()
        .filter(|id| {
            state
                .catalog
                .resolve(id)
                .is_some_and(|m| cred.grants.allows(id, &m.id))
        })
        .map(model_json)
        .collect();
    Json(json!({ "object": "list", "data": data })).into_response()
}

async fn get_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let cred = match auth::authenticate(&state.keys, &headers) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match state.catalog.resolve(&id) {
        Some(m) if cred.grants.allows(&id, &m.id) => Json(model_json(&id)).into_response(),
        _ => ProxyError::ModelNotFound { model: id }.into_response(),
    }
}

async fn unknown(uri: axum::http::Uri) -> Response {
    ProxyError::UnknownEndpoint(uri.path().to_string()).into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let body = json!({"error": {
        "message": format!("{method} is not allowed on {}", uri.path()),
        "type": "invalid_request_error", "param": null, "code": "method_not_allowed"
    }});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}
