//! `/api/v1/admin/teams`: list, create, show, rename, and members (list, add, change role,
//! remove). Permissions (`ManageTeams`, `ViewTeam`, `ManageTeamMembers`, owners managed by
//! owners, a team keeps an owner) are checked in `identity::{teams, members}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{parse_role, refresh_keys};
use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::ApiError;
use crate::http::AppState;
use crate::identity::{members, teams};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, rename))
        .routes(routes!(list_members, add_member))
        .routes(routes!(set_role, remove_member))
}

/// A team in a list, with head counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSummaryBody {
    pub id: String,
    pub name: String,
    /// config | admin
    pub origin: String,
    pub members: i64,
    pub service_accounts: i64,
    /// The caller's role in it (owner | admin | member), if a member.
    pub my_role: Option<String>,
}

impl From<teams::TeamSummary> for TeamSummaryBody {
    fn from(t: teams::TeamSummary) -> TeamSummaryBody {
        TeamSummaryBody {
            my_role: t.my_role.map(|r| r.as_str().to_string()),
            id: t.id,
            name: t.name,
            origin: t.origin,
            members: t.members,
            service_accounts: t.service_accounts,
        }
    }
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamBody {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<teams::Team> for TeamBody {
    fn from(t: teams::Team) -> TeamBody {
        TeamBody {
            id: t.id,
            name: t.name,
            origin: t.origin,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// One member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBody {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// owner | admin | member
    pub role: String,
    /// invited | active | disabled
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTeam {
    /// A slug: 2-40 characters of a-z, 0-9 and '-'; permanent.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameTeam {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMember {
    /// An existing user's id or e-mail (invite new people with POST /invites).
    pub user: String,
    /// owner | admin | member
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetRole {
    /// owner | admin | member
    pub role: String,
}

/// Teams the caller may see: all of them for platform admins, their own otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams",
    tag = "teams",
    responses((status = 200, body = Vec<TeamSummaryBody>), (status = 401, body = ErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<Vec<TeamSummaryBody>>, ApiError> {
    let all = teams::list_teams(&state.store, &session.actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Creates a team (platform admins).
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams",
    tag = "teams",
    request_body = CreateTeam,
    responses(
        (status = 201, body = TeamBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the id is taken")
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Json(body): Json<CreateTeam>,
) -> Result<(StatusCode, Json<TeamBody>), ApiError> {
    let team = teams::create_team(&state.store, &session.actor, &body.id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

/// One team the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{id}",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses(
        (status = 200, body = TeamBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<TeamBody>, ApiError> {
    Ok(Json(
        teams::get_team(&state.store, &session.actor, &id)
            .await?
            .into(),
    ))
}

/// Renames a team; its id never changes (platform admins).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/teams/{id}",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = RenameTeam,
    responses(
        (status = 200, body = TeamBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn rename(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<RenameTeam>,
) -> Result<Json<TeamBody>, ApiError> {
    let team = teams::rename_team(&state.store, &session.actor, &id, &body.name).await?;
    Ok(Json(team.into()))
}

/// The team's members with their roles.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{id}/members",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses(
        (status = 200, body = Vec<MemberBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn list_members(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Vec<MemberBody>>, ApiError> {
    let all = teams::team_members(&state.store, &session.actor, &id).await?;
    Ok(Json(
        all.into_iter()
            .map(|m| MemberBody {
                role: m.role.as_str().to_string(),
                status: m.status.as_str().to_string(),
                user_id: m.user_id,
                email: m.email,
                name: m.name,
            })
            .collect(),
    ))
}

/// Adds an existing user to the team.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams/{id}/members",
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = AddMember,
    responses(
        (status = 204, description = "added"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already a member")
    )
)]
async fn add_member(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(id): Path<String>,
    Json(body): Json<AddMember>,
) -> Result<StatusCode, ApiError> {
    let role = parse_role(&body.role)?;
    members::add_member(&state.store, &session.actor, &id, &body.user, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a member's role (owners are managed by owners; a team keeps at least one).
#[utoipa::path(
    put,
    path = "/api/v1/admin/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = String, Path, description = "Team id"),
        ("user_id" = String, Path, description = "User id")
    ),
    request_body = SetRole,
    responses(
        (status = 204, description = "changed"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the team's last owner")
    )
)]
async fn set_role(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path((id, user_id)): Path<(String, String)>,
    Json(body): Json<SetRole>,
) -> Result<StatusCode, ApiError> {
    let role = parse_role(&body.role)?;
    members::set_team_role(&state.store, &session.actor, &id, &user_id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member; their personal credentials bound to the team are revoked.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = String, Path, description = "Team id"),
        ("user_id" = String, Path, description = "User id")
    ),
    responses(
        (status = 204, description = "removed"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the team's last owner")
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    members::remove_member(&state.store, &session.actor, &id, &user_id).await?;
    refresh_keys(&state).await;
    Ok(StatusCode::NO_CONTENT)
}
