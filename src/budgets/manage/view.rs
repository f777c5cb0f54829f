//! How a budget is shown, and who sees or changes it: the actor's rights over the teams a
//! budget belongs to, and the current window's use read from the store.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::budgets::defs::parse_cadence;
use crate::budgets::gate::Scope;
use crate::budgets::money::MicroUsd;
use crate::budgets::window::window;
use crate::identity::permissions::{Action, Actor};
use crate::store::budget_admin::BudgetRecord;
use crate::store::budgets::WindowKey;
use crate::store::{Exec, StoreError};

/// A budget as the admin pages and API show it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    pub id: String,
    pub scope: Scope,
    pub scope_id: String,
    /// The team's name, the user's e-mail or the service account's name.
    pub scope_name: String,
    /// Teams the budget belongs to (a user budget: the user's teams).
    pub teams: Vec<String>,
    pub cadence: String,
    pub timezone: String,
    pub amount_micros: i64,
    /// The amount as a plain decimal, e.g. `12.5` (what the edit form takes back).
    pub amount_usd: String,
    /// `true` blocks requests it cannot cover; `false` only flags them.
    pub hard_limit: bool,
    /// `config` (seed-config restores it on the next run) or `admin`.
    pub origin: String,
    /// Settled spend plus leases held by replicas in the current window.
    pub used_micros: i64,
    /// The current window; absent only for a row the gate cannot read either.
    pub window_start: Option<DateTime<Utc>>,
    pub resets_at: Option<DateTime<Utc>>,
    /// Whether the actor may edit or delete it.
    pub can_edit: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl BudgetView {
    /// How much of the amount is used, 0–100, for a progress bar.
    pub fn percent(&self) -> i64 {
        if self.amount_micros <= 0 {
            return 0;
        }
        let p = i128::from(self.used_micros) * 100 / i128::from(self.amount_micros);
        p.clamp(0, 100) as i64
    }
}

/// Something a budget can be attached to, for the create form.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeChoice {
    pub scope: Scope,
    pub scope_id: String,
    pub label: String,
}

/// The teams a budget belongs to.
pub(super) async fn teams_of(
    ex: &mut Exec<'_>,
    r: &BudgetRecord,
) -> Result<Vec<String>, StoreError> {
    match r.scope_kind.as_str() {
        "user" => ex.user_team_ids(&r.scope_id).await,
        _ => Ok(r.scope_team.iter().cloned().collect()),
    }
}

pub(super) fn may_manage(actor: &Actor, teams: &[String]) -> bool {
    actor.platform_admin
        || (!teams.is_empty() && teams.iter().all(|t| actor.can(&Action::ManageBudgets(t))))
}

pub(super) fn may_see(actor: &Actor, r: &BudgetRecord, teams: &[String]) -> bool {
    match r.scope_kind.as_str() {
        "user" => r.scope_id == actor.user_id,
        _ => teams.iter().any(|t| actor.can(&Action::ViewTeam(t))),
    }
}

pub(super) async fn view(
    ex: &mut Exec<'_>,
    actor: &Actor,
    r: BudgetRecord,
    teams: Vec<String>,
    at: DateTime<Utc>,
) -> Result<BudgetView, StoreError> {
    let parsed = parse_cadence(&r.cadence).zip(r.timezone.parse::<Tz>().ok());
    let (window_start, resets_at, used_micros) = match parsed {
        Some((cadence, tz)) => {
            let (start, end) = window(cadence, tz, at);
            let used = ex
                .window_used(WindowKey {
                    budget_id: &r.id,
                    window_start: start,
                })
                .await?;
            (Some(start), Some(end), used)
        }
        None => (None, None, 0),
    };
    let scope = Scope::parse(&r.scope_kind).unwrap_or(Scope::Team);
    Ok(BudgetView {
        can_edit: may_manage(actor, &teams),
        amount_usd: MicroUsd::from_micros(r.amount_micros)
            .to_string()
            .trim_start_matches('$')
            .to_string(),
        scope,
        scope_name: r
            .scope_name
            .unwrap_or_else(|| format!("{} (deleted)", r.scope_id)),
        id: r.id,
        scope_id: r.scope_id,
        teams,
        cadence: r.cadence,
        timezone: r.timezone,
        amount_micros: r.amount_micros,
        hard_limit: r.hard_limit,
        origin: r.origin,
        used_micros,
        window_start,
        resets_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::schema::TeamRole;

    fn actor(platform_admin: bool, teams: &[(&str, TeamRole)]) -> Actor {
        Actor {
            user_id: "me".into(),
            email: "me@example.com".into(),
            name: "Me".into(),
            platform_admin,
            teams: teams
                .iter()
                .map(|(t, r)| (t.to_string(), *r))
                .collect::<HashMap<_, _>>(),
        }
    }

    #[test]
    fn user_budgets_need_every_team_of_the_user() {
        let owner_a = actor(false, &[("a", TeamRole::Owner)]);
        let both = actor(false, &[("a", TeamRole::Owner), ("b", TeamRole::Admin)]);
        let a = vec!["a".to_string()];
        let ab = vec!["a".to_string(), "b".to_string()];
        assert!(may_manage(&owner_a, &a));
        assert!(!may_manage(&owner_a, &ab));
        assert!(may_manage(&both, &ab));
        assert!(
            !may_manage(&owner_a, &[]),
            "teamless users: platform admins only"
        );
        assert!(may_manage(&actor(true, &[]), &[]));
        let member = actor(false, &[("a", TeamRole::Member)]);
        assert!(!may_manage(&member, &a));
    }
}
