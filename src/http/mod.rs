//! HTTP assembly: the shared [`AppState`], the router (capability routes merged here, nothing
//! else), and cross-cutting middleware (request ids, body limit).

mod health;
pub mod lanes;
pub mod shutdown;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::budgets::gate::BudgetGate;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::credentials::KeyCache;
use crate::providers::Provider;
use crate::recording::Recorder;
use crate::settings::LiveSettings;
use crate::store::Store;

/// State shared by every handler: one `Arc`, so the clone each request takes is one
/// reference count, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Services {
    pub store: Store,
    pub config: Arc<Config>,
    pub keys: Arc<KeyCache>,
    pub catalog: Arc<Catalog>,
    pub providers: Arc<std::collections::HashMap<String, Provider>>,
    pub budgets: Arc<BudgetGate>,
    pub recorder: Recorder,
    /// Operational settings (payload capture, session lifetimes, …), kept current from the
    /// database; take one snapshot per request with `settings.current()`.
    pub settings: Arc<LiveSettings>,
    /// Open SSE relays, cut at shutdown after the grace period, and JSON exchanges still
    /// settling and recording after their answer went out.
    pub streams: Arc<crate::proxy::streams::Streams>,
    /// The one-time bootstrap link: disarmed unless `serve` armed it (`GATEWAY_BOOTSTRAP_LINK`).
    pub bootstrap_link: Arc<crate::identity::bootstrap_link::BootstrapLink>,
}

/// The request id header, asked for and answered.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The full router for `gateway serve` (tests drive the same one on 127.0.0.1:0).
pub fn build_router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.server.body_limit_bytes).unwrap_or(usize::MAX);
    let layered = Router::new()
        .merge(health::routes())
        .merge(crate::proxy::routes::routes())
        .merge(crate::admin::routes(state.clone()))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(request_ids));
    // The two proxy routes take their ids and read their bodies (with the same limit)
    // themselves: on the hot path, a middleware's boxed future, cloned service and
    // request-extension map cost more than the work they do.
    Router::new()
        .merge(crate::proxy::routes::proxy_routes())
        .merge(layered)
        .with_state(state)
}

/// A request's ids: the gateway's own (unique; keys logs and the ledger) and the client's
/// `x-request-id`, if it sent a usable one (echoed back, kept for correlation).
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub internal: String,
    pub client: Option<String>,
}

impl RequestIds {
    /// A fresh gateway id, and the client's `x-request-id` when it is usable.
    pub fn from_headers(headers: &HeaderMap) -> RequestIds {
        let client = headers
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 200)
            .map(str::to_string);
        RequestIds {
            internal: new_request_id(),
            client,
        }
    }

    /// What `x-request-id` answers: the client's id if it sent one, else the gateway's.
    pub fn echo(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(self.client.as_deref().unwrap_or(&self.internal)).ok()
    }
}

/// A gateway request id: a time-ordered UUID (v7), so the request-log and ledger rows keyed
/// by it are appended at the right edge of their primary-key indexes instead of splitting
/// pages all over them (random v4 ids did, on every insert).
fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Assigns [`RequestIds`] and answers with `x-request-id`.
async fn request_ids(mut request: Request, next: Next) -> Response {
    let ids = RequestIds::from_headers(request.headers());
    let echo = ids.echo();
    request.extensions_mut().insert(ids);
    let mut response = next.run(request).await;
    if let Some(v) = echo {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_time_ordered_uuids() {
        let ids: Vec<String> = (0..1000).map(|_| super::new_request_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "not increasing");
        let id = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(id.get_version_num(), 7);
    }
}
