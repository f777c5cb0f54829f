//! Server-rendered `/admin` pages (askama). Handlers are thin: extract, call one domain
//! function, render. [`Nav`] feeds the shared layout.

pub mod audit;
pub mod bootstrap;
pub mod budgets;
pub mod chart;
pub mod credentials;
pub mod dashboard;
pub mod invites;
pub mod log_entry;
pub mod login;
pub mod logs;
pub mod models;
pub mod service_accounts;
pub mod settings;
pub mod spend;
pub mod teams;
pub mod users;
pub mod view;

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
        .merge(logs::routes())
        .merge(spend::routes())
        .merge(audit::routes())
        .merge(models::routes())
        .merge(service_accounts::routes())
        .merge(credentials::routes())
        .merge(budgets::routes())
        .merge(teams::routes())
        .merge(users::routes())
        .merge(invites::routes())
        .merge(settings::routes())
}
