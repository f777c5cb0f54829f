//! `/api/v1/admin/settings`: the operational settings (platform admins only) — list, read one,
//! replace one. Validation, permissions and the audit row live in `settings::manage`; after a
//! change this replica reloads its live settings at once (others within seconds).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::api::ErrorBody;
use crate::admin::auth::ApiAdmin;
use crate::admin::error::{AdminError, ApiError};
use crate::http::AppState;
use crate::settings::manage::{self, SettingView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, replace))
}

/// One operational setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingBody {
    /// e.g. `sessions.idle_timeout_minutes`.
    pub key: String,
    /// The effective value (the default while none is stored).
    pub value: Value,
    pub default: Value,
    /// seeded (the default, written at first start) | explicit (set by an admin or an
    /// import) | default (not stored yet)
    pub origin: String,
    /// integer | choice | url | json_paths | budget
    #[serde(rename = "type")]
    pub kind: String,
    /// What a valid value looks like.
    pub expected: String,
    pub description: String,
    pub updated_at: Option<DateTime<Utc>>,
    /// The user id (or `system:…`) that wrote it.
    pub updated_by: Option<String>,
}

impl From<SettingView> for SettingBody {
    fn from(v: SettingView) -> SettingBody {
        SettingBody {
            key: v.key.to_string(),
            value: v.value,
            default: v.default,
            origin: v.origin,
            kind: v.kind.to_string(),
            expected: v.expected,
            description: v.description.to_string(),
            updated_at: v.updated_at,
            updated_by: v.updated_by,
        }
    }
}

/// The new value of a setting.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PutSetting {
    /// A value of the setting's type: a number, a string, a list of strings, an object or
    /// null, as `expected` describes.
    pub value: Value,
}

/// Every operational setting with its value and origin.
#[utoipa::path(
    get,
    path = "/api/v1/admin/settings",
    tag = "settings",
    responses(
        (status = 200, body = Vec<SettingBody>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not a platform admin")
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
) -> Result<Json<Vec<SettingBody>>, ApiError> {
    let all = manage::list(&state.store, &session.actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// One operational setting.
#[utoipa::path(
    get,
    path = "/api/v1/admin/settings/{key}",
    tag = "settings",
    params(("key" = String, Path, description = "Setting key, e.g. passwords.min_length")),
    responses(
        (status = 200, body = SettingBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not a platform admin"),
        (status = 404, body = ErrorBody, description = "no such setting (the message lists them)")
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(key): Path<String>,
) -> Result<Json<SettingBody>, ApiError> {
    Ok(Json(
        manage::get(&state.store, &session.actor, &key)
            .await?
            .into(),
    ))
}

/// Sets an operational setting (origin `explicit`, audited). It applies to the next request
/// on this replica and within a few seconds on every other one.
#[utoipa::path(
    put,
    path = "/api/v1/admin/settings/{key}",
    tag = "settings",
    params(("key" = String, Path, description = "Setting key, e.g. passwords.min_length")),
    request_body = PutSetting,
    responses(
        (status = 200, body = SettingBody),
        (status = 400, body = ErrorBody, description = "the value does not fit the setting \
            (the message names the key and what it expects)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not a platform admin"),
        (status = 404, body = ErrorBody, description = "no such setting (the message lists them)")
    )
)]
async fn replace(
    State(state): State<AppState>,
    ApiAdmin(session): ApiAdmin,
    Path(key): Path<String>,
    body: Result<Json<PutSetting>, JsonRejection>,
) -> Result<Json<SettingBody>, ApiError> {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => {
            // Who may ask, and whether the key exists, come before what was sent.
            manage::get(&state.store, &session.actor, &key).await?;
            return Err(AdminError::Invalid(format!(
                "body: expected JSON {{\"value\": …}} ({})",
                e.body_text()
            ))
            .into());
        }
    };
    let view = manage::set(&state.store, &session.actor, &key, &body.value, None).await?;
    apply(&state).await;
    Ok(Json(view.into()))
}

/// Reloads this replica's live settings after a change, so it holds for the very next
/// request here. A failure is logged, not returned: the change is committed and the poll
/// retries.
pub(crate) async fn apply(state: &AppState) {
    if let Err(e) = state.settings.reload(&state.store).await {
        tracing::warn!(error = %e, "settings reload after an admin change failed; the poll will retry");
    }
}
