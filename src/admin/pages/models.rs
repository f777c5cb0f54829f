//! The model catalogue, read-only: `/admin/models` — every model and alias with its routes,
//! prices per million tokens and passive route health, straight from the in-memory
//! [`Catalog`](crate::catalog::Catalog) this replica serves with. [`list`] is what the page and
//! `GET /api/v1/admin/models` both call; everyone signed in may read it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::Nav;
use super::view::usd;
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::catalog::{Catalog, Price};
use crate::http::AppState;
use crate::identity::permissions::{Action, Actor};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/models", get(page))
}

/// Prices in USD per million tokens, as decimal strings (`$0.15`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceView {
    pub input: String,
    pub output: String,
    /// Absent when cached input is billed as ordinary input.
    pub cached_input: Option<String>,
    pub input_micros: i64,
    pub output_micros: i64,
    pub cached_input_micros: Option<i64>,
}

impl From<Price> for PriceView {
    fn from(p: Price) -> Self {
        PriceView {
            input: usd(p.input),
            output: usd(p.output),
            cached_input: p.cached_input.map(usd),
            input_micros: p.input,
            output_micros: p.output,
            cached_input_micros: p.cached_input,
        }
    }
}

/// One way a model is served.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteView {
    pub provider: String,
    pub upstream_model: String,
    pub weight: u32,
    /// Lower is tried first.
    pub priority: u32,
    /// `None`: unpriced (requests are counted, never free).
    pub price: Option<PriceView>,
    /// False while the route cools down after repeated failures (on this replica).
    pub healthy: bool,
}

/// A model or alias clients may name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelView {
    pub id: String,
    pub description: String,
    /// The model this id is an alias of.
    pub alias_of: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub routes: Vec<RouteView>,
}

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// Sorted by id.
    pub items: Vec<ModelView>,
}

/// The catalogue as this replica serves it.
pub fn catalogue(catalog: &Catalog) -> ModelList {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let items = catalog
        .ids()
        .filter_map(|id| catalog.get(id))
        .map(|m| ModelView {
            id: m.id.clone(),
            description: m.description.clone(),
            alias_of: m.alias_of.clone(),
            max_output_tokens: m.max_output_tokens,
            routes: m
                .routes
                .iter()
                .map(|r| RouteView {
                    provider: r.provider_id.clone(),
                    upstream_model: r.upstream_model.clone(),
                    weight: r.weight,
                    priority: r.priority,
                    price: r.price.map(PriceView::from),
                    healthy: r.health.is_healthy(now_ms),
                })
                .collect(),
        })
        .collect();
    ModelList { items }
}

/// The catalogue, for anyone allowed to read it.
pub fn list(state: &AppState, actor: &Actor) -> Result<ModelList, AdminError> {
    if !actor.can(&Action::ViewModels) {
        return Err(AdminError::Forbidden);
    }
    Ok(catalogue(&state.catalog))
}

#[derive(Template, WebTemplate)]
#[template(path = "models.html")]
pub struct ModelsPage {
    nav: Option<Nav>,
    list: ModelList,
    /// "4 models, 1 alias, 5 routes".
    summary: String,
}

async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
) -> Result<ModelsPage, AdminError> {
    let list = list(&state, &session.actor)?;
    let aliases = list.items.iter().filter(|m| m.alias_of.is_some()).count();
    let routes: usize = list.items.iter().map(|m| m.routes.len()).sum();
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    Ok(ModelsPage {
        nav: Some(Nav::new(&session, "models")),
        summary: [
            n(list.items.len() - aliases, "model", "models"),
            n(aliases, "alias", "aliases"),
            n(routes, "route", "routes"),
        ]
        .join(", "),
        list,
    })
}
