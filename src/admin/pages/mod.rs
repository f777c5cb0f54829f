//! Server-rendered `/admin` pages (askama). Handlers are thin: extract, call one domain
//! function, render. [`Nav`] feeds the shared layout.

pub mod dashboard;
pub mod login;

use axum::Router;
use axum::routing::get;

use crate::http::AppState;
use crate::identity::sessions::Session;

/// What the layout's top bar needs.
pub struct Nav {
    pub active: &'static str,
    pub email: String,
    pub csrf: String,
    pub platform_admin: bool,
}

impl Nav {
    pub fn new(session: &Session, active: &'static str) -> Nav {
        Nav {
            active,
            email: session.actor.email.clone(),
            csrf: session.csrf_token.clone(),
            platform_admin: session.actor.platform_admin,
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::page))
        .route("/admin/", get(dashboard::page))
        .merge(login::routes())
}
