//! Budget pages: `/admin/budgets` (every budget the actor may see, or one team's with
//! `?team=`, with the current window's use against the amount; create) and
//! `/admin/budgets/{id}` (edit, delete). Rules and permissions live in `budgets::manage`; each
//! change is reloaded into this replica's budget gate before the redirect.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono_tz::Tz;
use serde::Deserialize;

use super::Nav;
use super::credentials::{NoticeQuery, fixable, rejected};
use super::view::usd;
use crate::admin::api::management::{reload_budgets, return_budget_leases};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::budgets::gate::Scope;
use crate::budgets::manage::{self, BudgetSpec, BudgetView, NewBudget};
use crate::http::AppState;
use crate::identity::sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/budgets", get(list).post(create))
        .route("/admin/budgets/{id}", get(edit).post(update))
        .route("/admin/budgets/{id}/delete", post(delete))
}

/// One budget as a table row.
pub struct BudgetRow {
    pub id: String,
    pub scope: &'static str,
    pub scope_name: String,
    pub scope_link: String,
    pub cadence: String,
    pub timezone: String,
    pub amount: String,
    pub used: String,
    pub percent: i64,
    pub hard: bool,
    pub resets: String,
    pub origin: String,
    pub can_edit: bool,
}

impl From<&BudgetView> for BudgetRow {
    fn from(b: &BudgetView) -> BudgetRow {
        let (scope, scope_link) = match b.scope {
            Scope::Team => ("Team", format!("/admin/teams/{}", b.scope_id)),
            Scope::ServiceAccount => (
                "Service account",
                format!("/admin/service-accounts/{}", b.scope_id),
            ),
            Scope::User => ("User", String::new()),
        };
        let resets = match (b.resets_at, b.timezone.parse::<Tz>()) {
            (Some(t), Ok(tz)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            _ => "—".into(),
        };
        BudgetRow {
            id: b.id.clone(),
            scope,
            scope_name: b.scope_name.clone(),
            scope_link,
            cadence: b.cadence.clone(),
            timezone: b.timezone.clone(),
            amount: usd(b.amount_micros),
            used: usd(b.used_micros),
            percent: b.percent(),
            hard: b.hard_limit,
            resets,
            origin: b.origin.clone(),
            can_edit: b.can_edit,
        }
    }
}

/// The create form's fields, kept after a rejected attempt.
#[derive(Debug, Default, Deserialize)]
pub struct BudgetForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    amount_usd: String,
    #[serde(default)]
    limit: String,
}

impl BudgetForm {
    fn spec(&self) -> BudgetSpec<'_> {
        BudgetSpec {
            cadence: &self.cadence,
            timezone: &self.timezone,
            amount_usd: &self.amount_usd,
            hard_limit: self.limit != "soft",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    team: Option<String>,
    notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "budgets.html")]
pub struct ListPage {
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<BudgetRow>,
    team: String,
    /// (value `kind:id`, label) of everything the actor may attach a budget to.
    scopes: Vec<(String, String)>,
    zones: Vec<&'static str>,
    draft: BudgetForm,
    notice: Option<&'static str>,
    error: Option<String>,
}

fn scope_value(scope: Scope, id: &str) -> String {
    let kind = match scope {
        Scope::Team => "team",
        Scope::User => "user",
        Scope::ServiceAccount => "service_account",
    };
    format!("{kind}:{id}")
}

fn zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

async fn render_list(
    state: &AppState,
    session: &Session,
    team: Option<&str>,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListPage, AdminError> {
    let budgets = manage::list_budgets(&state.store, &session.actor, team).await?;
    let scopes = manage::budget_scopes(&state.store, &session.actor)
        .await?
        .into_iter()
        .filter(|s| team.is_none() || s.scope != Scope::Team || Some(s.scope_id.as_str()) == team)
        .map(|s| (scope_value(s.scope, &s.scope_id), s.label))
        .collect();
    Ok(ListPage {
        nav: Some(Nav::new(session, "budgets")),
        csrf: session.csrf_token.clone(),
        rows: budgets.iter().map(BudgetRow::from).collect(),
        team: team.unwrap_or_default().to_string(),
        scopes,
        zones: zones(),
        draft: BudgetForm {
            timezone: "UTC".into(),
            cadence: "monthly".into(),
            ..Default::default()
        },
        notice,
        error,
    })
}

async fn list(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AdminError> {
    let team = q.team.as_deref().filter(|t| !t.is_empty());
    let notice = NoticeQuery { notice: q.notice }.message();
    render_list(&state, &session, team, notice, None).await
}

async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<BudgetForm>,
) -> Result<Response, AdminError> {
    let (scope, scope_id) = f.scope.split_once(':').unwrap_or(("", ""));
    let new = NewBudget {
        id: Some(f.id.as_str()),
        scope,
        scope_id,
        spec: f.spec(),
    };
    match manage::create_budget(&state.store, &session.actor, &new).await {
        Ok(_) => {
            reload_budgets(&state).await;
            Ok(Redirect::to("/admin/budgets?notice=created").into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            let mut page = render_list(&state, &session, None, None, Some(message)).await?;
            page.draft = f;
            Ok(rejected(status, page))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "budget.html")]
pub struct EditPage {
    nav: Option<Nav>,
    csrf: String,
    row: BudgetRow,
    draft: BudgetForm,
    zones: Vec<&'static str>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_edit(
    state: &AppState,
    session: &Session,
    id: &str,
    draft: Option<BudgetForm>,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<EditPage, AdminError> {
    let b = manage::get_budget(&state.store, &session.actor, id).await?;
    let draft = draft.unwrap_or_else(|| BudgetForm {
        cadence: b.cadence.clone(),
        timezone: b.timezone.clone(),
        amount_usd: b.amount_usd.clone(),
        limit: if b.hard_limit { "hard" } else { "soft" }.into(),
        ..Default::default()
    });
    Ok(EditPage {
        nav: Some(Nav::new(session, "budgets")),
        csrf: session.csrf_token.clone(),
        row: BudgetRow::from(&b),
        draft,
        zones: zones(),
        notice,
        error,
    })
}

async fn edit(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<EditPage, AdminError> {
    render_edit(&state, &session, &id, None, q.message(), None).await
}

async fn update(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<BudgetForm>,
) -> Result<Response, AdminError> {
    match manage::update_budget(&state.store, &session.actor, &id, &f.spec()).await {
        Ok(b) => {
            reload_budgets(&state).await;
            Ok(Redirect::to(&format!("/admin/budgets/{}?notice=saved", b.id)).into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            Ok(rejected(
                status,
                render_edit(&state, &session, &id, Some(f), None, Some(message)).await?,
            ))
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Redirect, AdminError> {
    return_budget_leases(&state).await;
    manage::delete_budget(&state.store, &session.actor, &id).await?;
    reload_budgets(&state).await;
    Ok(Redirect::to("/admin/budgets?notice=deleted"))
}
