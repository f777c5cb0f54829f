//! `/api/v1/admin/users` and `/api/v1/admin/invites`: list users, deactivate, reactivate,
//! grant or revoke platform admin (the last active admin stays: 409), invite someone (the
//! one-time link is in that answer only), resend or revoke an invite. Rules live in
//! `identity::{users, invites}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{invite_link, parse_role, refresh_keys};
use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::http::AppState;
use crate::identity::invites::{self, Invite};
use crate::identity::users::{self, UserSummary};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(platform_admin))
        .routes(routes!(invite))
        .routes(routes!(resend_invite, revoke_invite))
}

/// A user's membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserTeamBody {
    pub team_id: String,
    pub team_name: String,
    /// owner | admin | member
    pub role: String,
}

/// A user. Never a password or its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: String,
    pub email: String,
    pub name: String,
    /// invited | active | disabled
    pub status: String,
    pub platform_admin: bool,
    pub must_change_password: bool,
    pub has_password: bool,
    /// config | bootstrap | admin | cli
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub teams: Vec<UserTeamBody>,
    /// Expiry of the open invite link, if any (may be past: expired).
    pub invite_expires_at: Option<DateTime<Utc>>,
}

impl From<UserSummary> for UserBody {
    fn from(u: UserSummary) -> UserBody {
        UserBody {
            status: u.status.as_str().to_string(),
            teams: u
                .teams
                .into_iter()
                .map(|t| UserTeamBody {
                    role: t.role.as_str().to_string(),
                    team_id: t.team_id,
                    team_name: t.team_name,
                })
                .collect(),
            id: u.id,
            email: u.email,
            name: u.name,
            platform_admin: u.platform_admin,
            must_change_password: u.must_change_password,
            has_password: u.has_password,
            origin: u.origin,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
            invite_expires_at: u.invite_expires_at,
        }
    }
}

/// What deactivating did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeactivatedBody {
    pub sessions_ended: u64,
    pub credentials_revoked: u64,
    pub invites_revoked: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    /// invited | active | disabled
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetPlatformAdmin {
    pub platform_admin: bool,
}

/// An onboarding link. `link` holds the one-time secret: it is in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteBody {
    pub user_id: String,
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

impl InviteBody {
    fn new(state: &AppState, i: Invite) -> InviteBody {
        InviteBody {
            link: invite_link(state, &i.link_token),
            user_id: i.user_id,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateInvite {
    pub email: String,
    pub name: String,
    /// Put them in this team…
    pub team: Option<String>,
    /// …with this role (owner | admin | member; default member).
    pub role: Option<String>,
    /// Platform admins only.
    #[serde(default)]
    pub platform_admin: bool,
}

/// Every user (platform admins).
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "users",
    responses(
        (status = 200, body = Vec<UserBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<Vec<UserBody>>, ApiError> {
    let all = users::list_users(&state.store, &session.actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// One user (platform admins, or the user themselves).
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = UserBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<UserBody>, ApiError> {
    Ok(Json(
        users::get_user(&state.store, &session.actor, &id)
            .await?
            .into(),
    ))
}

/// Deactivates a user: sessions end, personal credentials and invites are revoked, at once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/deactivate",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = DeactivatedBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the last active platform admin")
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<DeactivatedBody>, ApiError> {
    let d = users::deactivate_user(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Json(DeactivatedBody {
        sessions_ended: d.sessions_ended,
        credentials_revoked: d.credentials_revoked,
        invites_revoked: d.invites_revoked,
    }))
}

/// Reactivates a disabled user (`active`, or `invited` if they never set a password).
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/reactivate",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn reactivate(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<StatusBody>, ApiError> {
    let status = users::reactivate_user(&state.store, &session.actor, &id).await?;
    refresh_keys(&state).await;
    Ok(Json(StatusBody {
        status: status.as_str().to_string(),
    }))
}

/// Grants or revokes platform admin; the last active platform admin cannot lose it (409).
#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{id}/platform-admin",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    request_body = SetPlatformAdmin,
    responses(
        (status = 204, description = "set"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the last active platform admin")
    )
)]
async fn platform_admin(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<SetPlatformAdmin>,
) -> Result<StatusCode, ApiError> {
    users::set_platform_admin(&state.store, &session.actor, &id, body.platform_admin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites someone: an `invited` user and a one-time onboarding link, valid for the
/// `invites.lifetime_hours` setting (7 days by default).
#[utoipa::path(
    post,
    path = "/api/v1/admin/invites",
    tag = "users",
    request_body = CreateInvite,
    responses(
        (status = 201, body = InviteBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown team"),
        (status = 409, body = ErrorBody, description = "the e-mail already has an account")
    )
)]
async fn invite(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Json(body): Json<CreateInvite>,
) -> Result<(StatusCode, Json<InviteBody>), ApiError> {
    let role = parse_role(body.role.as_deref().unwrap_or("member"))?;
    let team = body.team.as_deref().map(|t| (t, role));
    let issued = invites::invite_user(
        &state.store,
        &session.actor,
        &body.email,
        &body.name,
        team,
        body.platform_admin,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(InviteBody::new(&state, issued))))
}

/// Issues a new onboarding link for an invited user (config-seeded users included); the
/// previous link stops working.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/invite",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = InviteBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the user is not invited")
    )
)]
async fn resend_invite(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<InviteBody>, ApiError> {
    let issued = invites::resend_invite(&state.store, &session.actor, &id).await?;
    Ok(Json(InviteBody::new(&state, issued)))
}

/// Revokes the user's open onboarding link (they stay invited).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}/invite",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no open invite"),
        (status = 409, body = ErrorBody, description = "the user is not invited")
    )
)]
async fn revoke_invite(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    invites::revoke_invite(&state.store, &session.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
