//! The control plane: `/admin` pages (askama) and the `/api/v1/admin/*` JSON API. Signed in
//! with e-mail and password (sessions), never with data-plane credentials. Permission checks
//! live in the domain (`identity::permissions`); handlers here stay thin.

pub mod api;
pub mod auth;
pub mod error;
mod guard;
pub mod pages;
mod statics;

use axum::Router;
use axum::middleware;

use crate::http::AppState;

/// Every control-plane route, with security headers and CSRF protection.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(statics::routes())
        .layer(middleware::from_fn_with_state(state, guard::csrf))
        // The bootstrap link sits outside the CSRF layer: while closed it must answer the same
        // 404 to everything, before any check. Its form checks the double-submit itself.
        .merge(pages::bootstrap::routes())
        .merge(api::bootstrap::routes())
        .layer(middleware::from_fn(guard::security_headers))
}
