//! Team pages: `/admin/teams` (list with member and service-account counts; create) and
//! `/admin/teams/{id}` (rename, members with roles — change role, remove —, add an existing
//! user, invite someone new into the team, links to its service accounts and budgets). Rules
//! live in `identity::{teams, members, invites}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Nav;
use super::credentials::{NoticeQuery, fixable, rejected};
use super::invites::LinkPage;
use crate::admin::api::management::{parse_role, refresh_keys};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::config::schema::TeamRole;
use crate::http::AppState;
use crate::identity::permissions::Action;
use crate::identity::sessions::Session;
use crate::identity::teams::{self, TeamSummary};
use crate::identity::{invites, members};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/teams", get(list).post(create))
        .route("/admin/teams/{id}", get(detail))
        .route("/admin/teams/{id}/rename", post(rename))
        .route("/admin/teams/{id}/members", post(add_member))
        .route("/admin/teams/{id}/members/{user}/role", post(set_role))
        .route("/admin/teams/{id}/members/{user}/remove", post(remove))
        .route("/admin/teams/{id}/invite", post(invite))
}

#[derive(Template, WebTemplate)]
#[template(path = "teams.html")]
pub struct ListPage {
    nav: Option<Nav>,
    csrf: String,
    /// Each team, and whether the actor manages its service accounts and budgets.
    teams: Vec<(TeamSummary, bool)>,
    can_create: bool,
    draft: (String, String),
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_list(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListPage, AdminError> {
    Ok(ListPage {
        nav: Some(Nav::new(session, "teams")),
        csrf: session.csrf_token.clone(),
        teams: teams::list_teams(&state.store, &session.actor)
            .await?
            .into_iter()
            .map(|t| {
                let manages = session.actor.can(&Action::ManageServiceAccounts(&t.id));
                (t, manages)
            })
            .collect(),
        can_create: session.actor.can(&Action::ManageTeams),
        draft: Default::default(),
        notice,
        error,
    })
}

async fn list(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(q): Query<NoticeQuery>,
) -> Result<ListPage, AdminError> {
    render_list(&state, &session, q.message(), None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    id: String,
    name: String,
}

async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<CreateForm>,
) -> Result<Response, AdminError> {
    match teams::create_team(&state.store, &session.actor, &f.id, &f.name).await {
        Ok(t) => Ok(Redirect::to(&format!("/admin/teams/{}?notice=created", t.id)).into_response()),
        Err(e) => {
            let (status, message) = fixable(e.into())?;
            let mut page = render_list(&state, &session, None, Some(message)).await?;
            page.draft = (f.id, f.name);
            Ok(rejected(status, page))
        }
    }
}

/// One member as the team page shows them.
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub status: &'static str,
    pub badge: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct DetailPage {
    nav: Option<Nav>,
    csrf: String,
    id: String,
    name: String,
    origin: String,
    members: Vec<MemberRow>,
    can_rename: bool,
    can_manage: bool,
    /// May open the team's service accounts.
    can_sas: bool,
    /// May grant the owner role (platform admins and the team's owners).
    can_own: bool,
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
    let actor = &session.actor;
    let team = teams::get_team(&state.store, actor, id).await?;
    let members = teams::team_members(&state.store, actor, id).await?;
    let can_own = actor.platform_admin || actor.teams.get(id) == Some(&TeamRole::Owner);
    Ok(DetailPage {
        nav: Some(Nav::new(session, "teams")),
        csrf: session.csrf_token.clone(),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                role: m.role.as_str(),
                status: m.status.as_str(),
                badge: match m.status.as_str() {
                    "active" => "ok",
                    "invited" => "warn",
                    _ => "bad",
                },
                user_id: m.user_id,
                email: m.email,
                name: m.name,
            })
            .collect(),
        can_rename: actor.can(&Action::ManageTeams),
        can_manage: actor.can(&Action::ManageTeamMembers(&team.id)),
        can_sas: actor.can(&Action::ManageServiceAccounts(&team.id)),
        can_own,
        id: team.id,
        name: team.name,
        origin: team.origin,
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

/// Redirects to the team page with a notice, or re-renders it with a fixable error.
async fn settle(
    state: &AppState,
    session: &Session,
    id: &str,
    result: Result<(), AdminError>,
    notice: &str,
) -> Result<Response, AdminError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/teams/{id}?notice={notice}")).into_response()),
        Err(e) => {
            let (status, message) = fixable(e)?;
            let page = render_detail(state, session, id, None, Some(message)).await?;
            Ok(rejected(status, page))
        }
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<NameForm>,
) -> Result<Response, AdminError> {
    let result = teams::rename_team(&state.store, &session.actor, &id, &f.name).await;
    settle(
        &state,
        &session,
        &id,
        result.map(|_| ()).map_err(Into::into),
        "renamed",
    )
    .await
}

#[derive(Deserialize)]
pub struct AddForm {
    user: String,
    role: String,
}

async fn add_member(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<AddForm>,
) -> Result<Response, AdminError> {
    let result = match parse_role(&f.role) {
        Ok(role) => members::add_member(&state.store, &session.actor, &id, &f.user, role)
            .await
            .map_err(Into::into),
        Err(e) => Err(e),
    };
    settle(&state, &session, &id, result, "added").await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path((id, user)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> Result<Response, AdminError> {
    let result = match parse_role(&f.role) {
        Ok(role) => members::set_team_role(&state.store, &session.actor, &id, &user, role)
            .await
            .map_err(Into::into),
        Err(e) => Err(e),
    };
    settle(&state, &session, &id, result, "role").await
}

async fn remove(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path((id, user)): Path<(String, String)>,
) -> Result<Response, AdminError> {
    let result = members::remove_member(&state.store, &session.actor, &id, &user).await;
    refresh_keys(&state).await;
    settle(&state, &session, &id, result.map_err(Into::into), "removed").await
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    name: String,
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> Result<Response, AdminError> {
    let result = match parse_role(&f.role) {
        Ok(role) => invites::invite_user(
            &state.store,
            &session.actor,
            &f.email,
            &f.name,
            Some((&id, role)),
            false,
        )
        .await
        .map_err(AdminError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(invite) => {
            let back = format!("/admin/teams/{id}");
            let page = LinkPage::new(
                &state,
                &session,
                "teams",
                "Invitation created",
                f.email.trim(),
                &invite,
                back,
            );
            Ok((StatusCode::OK, page).into_response())
        }
        Err(e) => settle(&state, &session, &id, Err(e), "").await,
    }
}
