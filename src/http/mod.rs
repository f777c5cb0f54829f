//! HTTP assembly: the shared [`AppState`], the router (capability routes merged here, nothing
//! else), and cross-cutting middleware (request ids, body limit).

mod health;
pub mod shutdown;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::budgets::gate::BudgetGate;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::credentials::KeyCache;
use crate::providers::Provider;
use crate::recording::Recorder;
use crate::recording::capture::CapturePolicy;
use crate::store::Store;

/// State shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub keys: Arc<KeyCache>,
    pub catalog: Arc<Catalog>,
    pub providers: Arc<std::collections::HashMap<String, Provider>>,
    pub budgets: Arc<BudgetGate>,
    pub recorder: Recorder,
    pub capture: Arc<CapturePolicy>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The full router for `gateway serve` (tests drive the same one on 127.0.0.1:0).
pub fn build_router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.server.body_limit_bytes).unwrap_or(usize::MAX);
    Router::new()
        .merge(health::routes())
        .merge(crate::proxy::routes::routes())
        .merge(crate::admin::routes(state.clone()))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
