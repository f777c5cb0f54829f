//! `/v1` routes: thin handlers that authenticate, validate, resolve the model, forward, and
//! shape the answer. Every response carries `x-request-id` (from the router's middleware, or
//! set by the two proxy routes themselves) and `x-gateway-overhead-us`, the time the gateway
//! itself added.

use std::time::Instant;

use axum::body::Body as AxumBody;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::json;

use super::error::ProxyError;
use super::exchange::Exchange;
use super::forward::{Body, forward};
use super::request::ParsedRequest;
use super::stream::Relay;
use super::usage::{self, Usage};
use super::{OVERHEAD_HEADER, auth};
use crate::budgets::gate::Reservation;
use crate::http::{AppState, REQUEST_ID, RequestIds};
use crate::providers::Endpoint;
use crate::recording::capture::CaptureMode;

/// `POST /v1/chat/completions` and `/v1/embeddings`: served without middleware (see
/// `http::build_router`), so they set `x-request-id` and `x-gateway-overhead-us` themselves.
pub fn proxy_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/chat/completions",
            post(chat_completions).fallback(proxy_method_not_allowed),
        )
        .route(
            "/v1/embeddings",
            post(embeddings).fallback(proxy_method_not_allowed),
        )
}

/// The rest of `/v1`, behind the router's middleware; the overhead header comes from one more.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/models", get(list_models).fallback(method_not_allowed))
        .route(
            "/v1/models/{id}",
            get(get_model).fallback(method_not_allowed),
        )
        .route("/v1", any(unknown))
        .route("/v1/{*rest}", any(unknown))
        .layer(axum::middleware::from_fn(overhead_header))
}

/// Adds `x-gateway-overhead-us` where a handler did not.
async fn overhead_header(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    if response.headers().contains_key(OVERHEAD_HEADER) {
        return response;
    }
    with_overhead(response, started.elapsed().as_micros() as u64)
}

async fn chat_completions(State(state): State<AppState>, request: Request) -> Response {
    with_ids(state, request, Endpoint::ChatCompletions).await
}

async fn embeddings(State(state): State<AppState>, request: Request) -> Response {
    with_ids(state, request, Endpoint::Embeddings).await
}

/// What the request-id middleware does for other routes, then [`proxy`].
async fn with_ids(state: AppState, request: Request, endpoint: Endpoint) -> Response {
    let ids = RequestIds::from_headers(request.headers());
    let echo = ids.echo();
    with_request_id(proxy(state, request, ids, endpoint).await, echo)
}

async fn proxy_method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let echo = RequestIds::from_headers(&headers).echo();
    with_request_id(method_not_allowed(method, uri).await, echo)
}

fn with_request_id(mut response: Response, id: Option<HeaderValue>) -> Response {
    if let Some(v) = id {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// Takes the request whole rather than through extractors, so its headers are read in place
/// (the `HeaderMap` extractor copies them). The clock starts once the body has arrived, as it
/// did behind extractors: a slow upload is the client's time, not the gateway's.
async fn proxy(state: AppState, request: Request, ids: RequestIds, endpoint: Endpoint) -> Response {
    let (parts, body) = request.into_parts();
    let body = read_body(body, state.config.server.body_limit_bytes).await;
    let started = Instant::now();
    let cred = match auth::authenticate(&state.keys, &parts.headers) {
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

/// The request body, at most `limit` bytes of it.
async fn read_body(body: AxumBody, limit: u64) -> Result<Bytes, ProxyError> {
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let source = std::error::Error::source(&e);
        if source.is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) {
            ProxyError::PayloadTooLarge { limit }
        } else {
            ProxyError::InvalidJson(format!("failed to read the request body: {e}"))
        }
    })
}

async fn handle(
    state: &AppState,
    grants: &crate::credentials::Grants,
    body: Result<Bytes, ProxyError>,
    endpoint: Endpoint,
    mut ex: Exchange,
) -> Result<Response, (ProxyError, Exchange)> {
    let bytes = match body {
        Ok(b) => b,
        Err(e) => return Err((e, ex)),
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
        match req.body() {
            Some(body) => ex.payload = capture.capture(&body, bytes.len()),
            None => ex.flags.push("payload_not_captured:unparsable".into()),
        }
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
            finish_after_answer(state, ex, reservation, bytes.clone(), served.status, req);
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

/// Reads usage from a JSON answer, settles the reservation and records the exchange in a task
/// of its own. On a lane that task runs once the connection has written the answer, so none of
/// this (nor freeing the parsed request) delays the client. The ticket keeps shutdown's final
/// flush waiting for it.
fn finish_after_answer(
    state: &AppState,
    mut ex: Exchange,
    reservation: Reservation,
    answer: Bytes,
    status: u16,
    req: ParsedRequest,
) {
    let recorder = state.recorder.clone();
    let ticket = state.streams.hold();
    ex.answered = Some(Instant::now());
    tokio::spawn(async move {
        let success = (200..300).contains(&status);
        if success {
            ex.usage = Usage::from_body(&answer);
            if ex.usage.is_none() {
                ex.charged = Some(reservation.amount());
            }
        }
        reservation.settle(ex.cost().unwrap_or(0)).await;
        let code = (!success).then_some("upstream_client_error");
        recorder.record(ex.finish(status, code));
        drop((req, ticket));
    });
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

/// Sets its own overhead header: the proxy routes' fallbacks run without the middleware.
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let started = Instant::now();
    let body = json!({"error": {
        "message": format!("{method} is not allowed on {}", uri.path()),
        "type": "invalid_request_error", "param": null, "code": "method_not_allowed"
    }});
    let response = (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response();
    with_overhead(response, started.elapsed().as_micros() as u64)
}
