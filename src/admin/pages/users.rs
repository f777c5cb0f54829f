//! The users page (platform admins): `/admin/users` lists everyone with status, platform-admin
//! flag, teams and invite state, and invites new people (the one-time link is shown once).
//! Per user: deactivate / reactivate, grant / revoke platform admin (the last active admin is
//! protected: 409 with the reason), resend or revoke an invite. Config-seeded users appear as
//! invited and get their first link from "Resend". Rules live in `identity::{users, invites}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Nav;
use super::credentials::{NoticeQuery, fixable, rejected};
use super::invites::{LinkPage, expiry_note};
use super::view::when;
use crate::admin::api::management::{parse_role, refresh_keys};
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::http::AppState;
use crate::identity::invites;
use crate::identity::sessions::Session;
use crate::identity::teams;
use crate::identity::users::{self, UserStatus};
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list))
        .route("/admin/users/invite", post(invite))
        .route("/admin/users/{id}/deactivate", post(deactivate))
        .route("/admin/users/{id}/reactivate", post(reactivate))
        .route("/admin/users/{id}/platform-admin", post(platform_admin))
        .route("/admin/users/{id}/invite/resend", post(resend))
        .route("/admin/users/{id}/invite/revoke", post(revoke_invite))
}

/// One user as a table row.
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub platform_admin: bool,
    pub teams: String,
    pub last_login: String,
    pub invite: &'static str,
    pub has_open_invite: bool,
    pub is_me: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct ListPage {
    nav: Option<Nav>,
    csrf: String,
    users: Vec<UserRow>,
    /// (id, name) for the invite form.
    teams: Vec<(String, String)>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_list(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListPage, AdminError> {
    let at = now();
    let list = users::list_users(&state.store, &session.actor).await?;
    let teams = teams::list_teams(&state.store, &session.actor)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let users = list
        .into_iter()
        .map(|u| UserRow {
            status: u.status.as_str(),
            badge: match u.status {
                UserStatus::Active => "ok",
                UserStatus::Invited => "warn",
                UserStatus::Disabled => "bad",
            },
            teams: u
                .teams
                .iter()
                .map(|t| format!("{} ({})", t.team_name, t.role.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            last_login: u.last_login_at.as_ref().map_or("never".into(), when),
            invite: expiry_note(u.invite_expires_at, at),
            has_open_invite: u.invite_expires_at.is_some_and(|t| t > at),
            is_me: u.id == session.actor.user_id,
            platform_admin: u.platform_admin,
            id: u.id,
            email: u.email,
            name: u.name,
        })
        .collect();
    Ok(ListPage {
        nav: Some(Nav::new(session, "users")),
        csrf: session.csrf_token.clone(),
        users,
        teams,
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

/// Redirects to the list with a notice, or re-renders it with the error (409 for the last
/// platform admin).
async fn settle<T>(
    state: &AppState,
    session: &Session,
    result: Result<T, AdminError>,
    notice: &str,
) -> Result<Response, AdminError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users?notice={notice}")).into_response()),
        Err(e) => {
            let (status, message) = fixable(e)?;
            let page = render_list(state, session, None, Some(message)).await?;
            Ok(rejected(status, page))
        }
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    name: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    platform_admin: Option<String>,
}

async fn invite(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<InviteForm>,
) -> Result<Response, AdminError> {
    let role = if f.role.is_empty() { "member" } else { &f.role };
    let result = match parse_role(role) {
        Ok(role) => {
            let team = Some(f.team.trim())
                .filter(|t| !t.is_empty())
                .map(|t| (t, role));
            let admin = f.platform_admin.is_some();
            invites::invite_user(&state.store, &session.actor, &f.email, &f.name, team, admin)
                .await
                .map_err(AdminError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(invite) => Ok(LinkPage::new(
            &state,
            &session,
            "users",
            "Invitation created",
            f.email.trim(),
            &invite,
            "/admin/users".into(),
        )
        .into_response()),
        Err(e) => settle::<()>(&state, &session, Err(e), "").await,
    }
}

async fn deactivate(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let result = users::deactivate_user(&state.store, &session.actor, &id).await;
    refresh_keys(&state).await;
    settle(&state, &session, result.map_err(Into::into), "deactivated").await
}

async fn reactivate(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let result = users::reactivate_user(&state.store, &session.actor, &id).await;
    refresh_keys(&state).await;
    settle(&state, &session, result.map_err(Into::into), "reactivated").await
}

#[derive(Deserialize)]
pub struct AdminForm {
    grant: String,
}

async fn platform_admin(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<AdminForm>,
) -> Result<Response, AdminError> {
    let grant = f.grant == "true";
    let result = users::set_platform_admin(&state.store, &session.actor, &id, grant).await;
    let notice = if grant {
        "admin-granted"
    } else {
        "admin-revoked"
    };
    settle(&state, &session, result.map_err(Into::into), notice).await
}

async fn resend(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    match invites::resend_invite(&state.store, &session.actor, &id).await {
        Ok(invite) => {
            let user = users::get_user(&state.store, &session.actor, &id).await?;
            Ok(LinkPage::new(
                &state,
                &session,
                "users",
                "New invite link",
                &user.email,
                &invite,
                "/admin/users".into(),
            )
            .into_response())
        }
        Err(e) => settle::<()>(&state, &session, Err(e.into()), "").await,
    }
}

async fn revoke_invite(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let result = invites::revoke_invite(&state.store, &session.actor, &id).await;
    settle(
        &state,
        &session,
        result.map_err(Into::into),
        "invite-revoked",
    )
    .await
}
