//! Service-account pages: `/admin/service-accounts` (list per team, create) and
//! `/admin/service-accounts/{id}` (rename, deactivate/reactivate, its credentials: issue,
//! list, revoke — rotate and grants are on the credential's own page). Permission checks live
//! in `credentials::{service_accounts, lifecycle}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Nav;
use super::credentials::{CredRow, Fields, NoticeQuery, SecretPage, fixable, rejected};
use super::view::when;
use crate::admin::api::management::refresh_keys;
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::credentials::lifecycle::{self, CredentialFilter};
use crate::credentials::manage::OwnerSpec;
use crate::credentials::service_accounts::{self as sa, ServiceAccount, ServiceAccountStatus};
use crate::http::AppState;
use crate::identity::permissions::Action;
use crate::identity::sessions::Session;
use crate::identity::teams;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/service-accounts", get(list).post(create))
        .route("/admin/service-accounts/{id}", get(detail))
        .route("/admin/service-accounts/{id}/rename", post(rename))
        .route("/admin/service-accounts/{id}/deactivate", post(deactivate))
        .route("/admin/service-accounts/{id}/reactivate", post(reactivate))
        .route("/admin/service-accounts/{id}/credentials", post(issue))
}

/// One service account as a table row.
pub struct SaRow {
    pub id: String,
    pub name: String,
    pub team_id: String,
    pub team_name: String,
    pub active: bool,
    pub live: i64,
    pub total: i64,
    pub origin: String,
    pub created: String,
}

impl From<&ServiceAccount> for SaRow {
    fn from(s: &ServiceAccount) -> SaRow {
        SaRow {
            id: s.id.clone(),
            name: s.name.clone(),
            team_id: s.team_id.clone(),
            team_name: s.team_name.clone(),
            active: s.status == ServiceAccountStatus::Active,
            live: s.credentials.live,
            total: s.credentials.total,
            origin: s.origin.clone(),
            created: when(&s.created_at),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    team: Option<String>,
    notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "service_accounts.html")]
pub struct ListPage {
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<SaRow>,
    /// Teams the actor manages: (id, name).
    teams: Vec<(String, String)>,
    team: String,
    notice: Option<&'static str>,
    error: Option<String>,
    /// What the create form held, after a rejected attempt: (team, id, name).
    draft: (String, String, String),
}

async fn render_list(
    state: &AppState,
    session: &Session,
    team: Option<&str>,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListPage, AdminError> {
    let actor = &session.actor;
    let rows = sa::list_service_accounts(&state.store, actor, team).await?;
    let teams = teams::list_teams(&state.store, actor)
        .await?
        .into_iter()
        .filter(|t| actor.can(&Action::ManageServiceAccounts(&t.id)))
        .map(|t| (t.id, t.name))
        .collect();
    Ok(ListPage {
        nav: Some(Nav::new(session, "service-accounts")),
        csrf: session.csrf_token.clone(),
        rows: rows.iter().map(SaRow::from).collect(),
        teams,
        team: team.unwrap_or_default().to_string(),
        notice,
        error,
        draft: Default::default(),
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

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    team: String,
    id: String,
    name: String,
}

async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<CreateForm>,
) -> Result<Response, AdminError> {
    match sa::create_service_account(&state.store, &session.actor, &f.team, &f.id, &f.name).await {
        Ok(created) => {
            // It may have come with a default budget (`service_accounts.default_budget`).
            crate::admin::api::management::reload_budgets(&state).await;
            Ok(Redirect::to(&format!(
                "/admin/service-accounts/{}?notice=created",
                created.id
            ))
            .into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            let mut page = render_list(&state, &session, None, None, Some(message)).await?;
            page.draft = (f.team, f.id, f.name);
            Ok(rejected(status, page))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "service_account.html")]
pub struct DetailPage {
    nav: Option<Nav>,
    csrf: String,
    sa: SaRow,
    creds: Vec<CredRow>,
    models: Vec<String>,
    /// The issue form's team choice (never for service accounts).
    teams: Vec<String>,
    issue_action: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_detail(
    state: &AppState,
    session: &Session,
    id: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<DetailPage, AdminError> {
    let account = sa::get_service_account(&state.store, &session.actor, id).await?;
    let filter = CredentialFilter::ServiceAccount(&account.id);
    let creds = lifecycle::list_credentials(&state.store, &session.actor, filter).await?;
    Ok(DetailPage {
        nav: Some(Nav::new(session, "service-accounts")),
        csrf: session.csrf_token.clone(),
        creds: CredRow::all(&creds, &session.actor),
        models: state.catalog.ids().map(str::to_string).collect(),
        teams: Vec::new(),
        issue_action: format!("/admin/service-accounts/{}/credentials", account.id),
        sa: SaRow::from(&account),
        notice,
        error,
    })
}

async fn detail(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<DetailPage, AdminError> {
    render_detail(&state, &session, &id, q.message(), None).await
}

/// Redirects to the account's page with a notice, or re-renders it with a fixable error.
async fn settle(
    state: &AppState,
    session: &Session,
    id: &str,
    result: Result<ServiceAccount, AdminError>,
    notice: &str,
) -> Result<Response, AdminError> {
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/admin/service-accounts/{id}?notice={notice}")).into_response(),
        ),
        Err(e) => {
            let (status, message) = fixable(e)?;
            Ok(rejected(
                status,
                render_detail(state, session, id, None, Some(message)).await?,
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<RenameForm>,
) -> Result<Response, AdminError> {
    let result = sa::rename_service_account(&state.store, &session.actor, &id, &f.name).await;
    settle(&state, &session, &id, result.map_err(Into::into), "renamed").await
}

async fn deactivate(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let result = sa::deactivate_service_account(&state.store, &session.actor, &id).await;
    refresh_keys(&state).await;
    settle(
        &state,
        &session,
        &id,
        result.map_err(Into::into),
        "deactivated",
    )
    .await
}

async fn reactivate(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let result = sa::reactivate_service_account(&state.store, &session.actor, &id).await;
    refresh_keys(&state).await;
    settle(
        &state,
        &session,
        &id,
        result.map_err(Into::into),
        "reactivated",
    )
    .await
}

async fn issue(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let f = Fields(pairs);
    let owner = OwnerSpec::ServiceAccount(id.clone());
    let issued = match f.expiry() {
        Ok(expires) => lifecycle::issue_credential(
            &state.store,
            &session.actor,
            &owner,
            f.get("name"),
            &f.grants(),
            expires,
            None,
        )
        .await
        .map_err(AdminError::from),
        Err(e) => Err(e),
    };
    match issued {
        Ok(new) => {
            refresh_keys(&state).await;
            Ok(SecretPage::new(&session, "Credential issued", new, None).into_response())
        }
        Err(e) => {
            let (status, message) = fixable(e)?;
            Ok(rejected(
                status,
                render_detail(&state, &session, &id, None, Some(message)).await?,
            ))
        }
    }
}
