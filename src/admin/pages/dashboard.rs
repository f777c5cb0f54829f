//! The dashboard: requests, errors and spend today and this month, and the top models — for
//! everyone (platform admins) or the actor's managed teams plus their own usage.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::{Datelike, TimeZone, Utc};

use super::Nav;
use crate::admin::auth::Admin;
use crate::admin::error::AdminError;
use crate::budgets::money::MicroUsd;
use crate::config::schema::TeamRole;
use crate::http::AppState;
use crate::identity::permissions::Actor;
use crate::store::rows::{UsageScope, UsageSummary};

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    nav: Option<Nav>,
    all: bool,
    today: UsageSummary,
    month: UsageSummary,
    spend_today: String,
    spend_month: String,
    top_models: Vec<(String, i64)>,
}

/// What usage `actor` may see.
pub fn scope_of(actor: &Actor) -> UsageScope {
    if actor.platform_admin {
        return UsageScope::All;
    }
    let teams = actor
        .teams
        .iter()
        .filter(|(_, r)| matches!(r, TeamRole::Owner | TeamRole::Admin))
        .map(|(t, _)| t.clone())
        .collect();
    UsageScope::Some {
        teams,
        user_id: actor.user_id.clone(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
) -> Result<Dashboard, AdminError> {
    let now = Utc::now();
    let day = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
        .single()
        .unwrap_or(now);
    let month_start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let scope = scope_of(&session.actor);
    let mut conn = state.store.conn().await?;
    let today = conn.ex().usage_summary(&scope, day).await?;
    let month = conn.ex().usage_summary(&scope, month_start).await?;
    let top_models = conn.ex().top_models(&scope, month_start, 5).await?;
    Ok(Dashboard {
        nav: Some(Nav::new(&session, "dashboard")),
        all: matches!(scope, UsageScope::All),
        spend_today: MicroUsd::from_micros(today.spend_micros).to_string(),
        spend_month: MicroUsd::from_micros(month.spend_micros).to_string(),
        today,
        month,
        top_models,
    })
}
