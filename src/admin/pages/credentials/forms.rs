//! Form plumbing every management page shares: the fixed notices shown after a redirect,
//! forms read as raw pairs (for checkbox lists), re-rendering a page with a fixable error and
//! its status, and the short timestamp table cells use. No domain calls here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::admin::error::AdminError;
use crate::credentials::Grants;

/// `?notice=` after a redirect: a fixed message per code, never text from the URL.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

impl NoticeQuery {
    pub fn message(&self) -> Option<&'static str> {
        Some(match self.notice.as_deref()? {
            "created" => "Created.",
            "renamed" => "Renamed.",
            "saved" => "Saved.",
            "deleted" => "Deleted.",
            "deactivated" => "Deactivated. Its credentials stopped working.",
            "reactivated" => "Reactivated.",
            "revoked" => "Credential revoked. It no longer works.",
            "grants" => "Model grants saved.",
            "removed" => "Removed.",
            "role" => "Role changed.",
            "added" => "Added.",
            "invite-revoked" => "Invite revoked. The link no longer works.",
            "admin-granted" => "Platform admin granted.",
            "admin-revoked" => "Platform admin revoked.",
            _ => return None,
        })
    }
}

/// A form posted as raw pairs, so repeated fields (checkboxes) survive.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// `grants=all`, or `grants=some` with `model` checkboxes.
    pub fn grants(&self) -> Grants {
        match self.get("grants") {
            "some" => Grants::Models(self.all("model")),
            _ => Grants::All,
        }
    }

    /// `expires_days` (empty: never).
    pub fn expiry(&self) -> Result<Option<DateTime<Utc>>, AdminError> {
        match self.get("expires_days") {
            "" | "never" => Ok(None),
            d => d
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .map(|d| Some(Utc::now() + Duration::days(d)))
                .ok_or_else(|| AdminError::Invalid("expiry: choose a number of days".into())),
        }
    }
}

/// The status and message of an error the person can fix on the same page (bad input 400, a
/// conflict such as "the last platform admin" 409); anything else stays an error page.
pub fn fixable(e: AdminError) -> Result<(StatusCode, String), AdminError> {
    let status = e.status();
    match e {
        AdminError::Invalid(m) | AdminError::Conflict(m) => Ok((status, m)),
        other => Err(other),
    }
}

/// Re-renders `page` with the error's status after a fixable error.
pub fn rejected(status: StatusCode, page: impl IntoResponse) -> Response {
    (status, page).into_response()
}

/// `2025-01-31 23:59` (UTC): table cells have no room for seconds.
pub fn short(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
