//! Budgets as the admin UI and API manage them: list (with the current window's use), create,
//! edit (amount, cadence, timezone, hard/soft) and delete.
//!
//! Who may (DESIGN.md §3), checked here and nowhere else: `ManageBudgets(team)` for the team a
//! budget belongs to — the team itself, or a service account's team. A user budget limits that
//! user in every team, so it needs `ManageBudgets` of *each* of the user's teams (in practice:
//! a platform admin, or the owner/admin of a single-team user's team). Anyone sees the budgets
//! that apply to them (their own, their teams' and their teams' service accounts'), read-only.
//!
//! Every change writes an audit row and bumps the auth epoch in the same transaction, so every
//! replica's `BudgetGate` reloads within a second; the caller reloads this replica's gate at
//! once. SQL lives in `store::budget_admin`; the hot path in [`super::gate`].

mod input;
mod view;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use self::input::{BudgetSpec, NewBudget, parse_spec};
use self::input::{default_id, parse_id, parse_scope};
pub use self::view::{BudgetView, ScopeChoice};
use self::view::{may_manage, may_see, teams_of, view};
use super::gate::Scope;
use crate::identity::IdentityError;
use crate::identity::permissions::{Action, Actor};
use crate::store::budget_admin::{BudgetRecord, NewBudgetRow};
use crate::store::rows::AuditEntry;
use crate::store::{Exec, Store, StoreError, now};

/// Budgets the actor may see, by id; `Some(team)` narrows to those belonging to that team
/// (Forbidden unless the actor may see the team).
pub async fn list_budgets(
    store: &Store,
    actor: &Actor,
    team: Option<&str>,
) -> Result<Vec<BudgetView>, IdentityError> {
    if let Some(t) = team
        && !actor.can(&Action::ViewTeam(t))
    {
        return Err(IdentityError::Forbidden);
    }
    let at = now();
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let mut out = Vec::new();
    for r in ex.budget_records().await? {
        let teams = teams_of(&mut ex, &r).await?;
        if team.is_some_and(|t| !teams.iter().any(|x| x == t)) {
            continue;
        }
        if may_manage(actor, &teams) || may_see(actor, &r, &teams) {
            out.push(view(&mut ex, actor, r, teams, at).await?);
        }
    }
    Ok(out)
}

/// One budget the actor may see.
pub async fn get_budget(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<BudgetView, IdentityError> {
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let (r, teams) = load(&mut ex, id).await?;
    if !may_manage(actor, &teams) && !may_see(actor, &r, &teams) {
        return Err(IdentityError::NotFound(format!("budget {id:?}")));
    }
    Ok(view(&mut ex, actor, r, teams, now()).await?)
}

async fn load(ex: &mut Exec<'_>, id: &str) -> Result<(BudgetRecord, Vec<String>), IdentityError> {
    let r = ex
        .budget_record(id)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("budget {id:?}")))?;
    let teams = teams_of(ex, &r).await?;
    Ok((r, teams))
}

/// Loads a budget and checks the actor may change it.
async fn load_managed(
    ex: &mut Exec<'_>,
    actor: &Actor,
    id: &str,
) -> Result<(BudgetRecord, Vec<String>), IdentityError> {
    let (r, teams) = load(ex, id).await?;
    if may_manage(actor, &teams) {
        Ok((r, teams))
    } else if may_see(actor, &r, &teams) {
        Err(IdentityError::Forbidden)
    } else {
        Err(IdentityError::NotFound(format!("budget {id:?}")))
    }
}

/// The scope's display name and teams, after checking it exists.
async fn resolve_scope(
    ex: &mut Exec<'_>,
    scope: Scope,
    id: &str,
) -> Result<(String, Vec<String>), IdentityError> {
    let missing = |what: &str| IdentityError::NotFound(format!("{what} {id:?}"));
    match scope {
        Scope::Team => {
            let team = ex.team_row(id).await?.ok_or_else(|| missing("team"))?;
            Ok((team.id.clone(), vec![team.id]))
        }
        Scope::ServiceAccount => {
            let sa = ex
                .find_service_account(id)
                .await?
                .ok_or_else(|| missing("service account"))?;
            Ok((sa.id, vec![sa.team_id]))
        }
        Scope::User => {
            let user = ex.get_user_row(id).await?.ok_or_else(|| missing("user"))?;
            let local = user.email.split('@').next().unwrap_or("user").to_string();
            Ok((local, ex.user_team_ids(id).await?))
        }
    }
}

/// Creates a budget. Forbidden unless the actor manages the budgets of every team it belongs
/// to; `Invalid` for a bad scope, id, cadence, timezone or amount; `NotFound` for a scope that
/// does not exist; `Conflict` for a taken id.
pub async fn create_budget(
    store: &Store,
    actor: &Actor,
    new: &NewBudget<'_>,
) -> Result<BudgetView, IdentityError> {
    let scope = parse_scope(new.scope)?;
    let (cadence, change) = parse_spec(&new.spec)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (base, teams) = resolve_scope(&mut ex, scope, new.scope_id.trim()).await?;
    if !may_manage(actor, &teams) {
        return Err(IdentityError::Forbidden);
    }
    let id = match new.id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => parse_id(id)?,
        None => default_id(&base, cadence),
    };
    let row = NewBudgetRow {
        id: id.clone(),
        scope_kind: scope.column(),
        scope_id: new.scope_id.trim().to_string(),
        cadence: change.cadence,
        timezone: change.timezone.clone(),
        amount_micros: change.amount_micros,
        hard_limit: change.hard_limit,
        origin: "admin",
    };
    match ex.insert_budget(&row, at).await {
        Err(StoreError::Conflict(_)) => {
            return Err(IdentityError::Conflict(format!(
                "a budget with id {id:?} already exists; choose another id"
            )));
        }
        other => other?,
    }
    ex.bump_auth_epoch().await?;
    audit(
        &mut ex,
        actor,
        "budget.created",
        &id,
        json!({
            "scope": row.scope_kind, "scope_id": row.scope_id, "cadence": row.cadence,
            "timezone": row.timezone, "amount_micros": row.amount_micros,
            "hard_limit": row.hard_limit,
        }),
        at,
    )
    .await?;
    let (r, teams) = load(&mut ex, &id).await?;
    let created = view(&mut ex, actor, r, teams, at).await?;
    tx.commit().await?;
    Ok(created)
}

/// Gives a service account created in the caller's transaction the budget the
/// `service_accounts.default_budget` setting describes: id `<account>-<cadence>` (a number is
/// appended when that is taken), origin `admin`, audited as `budget.created` with
/// `"via": "service_accounts.default_budget"`, and the auth epoch bumped so every replica's
/// budget gate loads it. The caller has already checked the actor manages the account's team.
pub async fn create_default_budget(
    ex: &mut Exec<'_>,
    actor: &Actor,
    service_account: &str,
    spec: &BudgetSpec<'_>,
    at: DateTime<Utc>,
) -> Result<String, IdentityError> {
    let (cadence, change) = parse_spec(spec)?;
    let base = default_id(service_account, cadence);
    let mut row = NewBudgetRow {
        id: base.clone(),
        scope_kind: Scope::ServiceAccount.column(),
        scope_id: service_account.to_string(),
        cadence: change.cadence,
        timezone: change.timezone.clone(),
        amount_micros: change.amount_micros,
        hard_limit: change.hard_limit,
        origin: "admin",
    };
    let mut n = 1;
    loop {
        match ex.insert_budget(&row, at).await {
            Err(StoreError::Conflict(_)) if n < 10 => {
                n += 1;
                row.id = format!("{base}-{n}");
            }
            other => break other?,
        }
    }
    ex.bump_auth_epoch().await?;
    let details = json!({
        "scope": row.scope_kind, "scope_id": row.scope_id, "cadence": row.cadence,
        "timezone": row.timezone, "amount_micros": row.amount_micros,
        "hard_limit": row.hard_limit, "via": "service_accounts.default_budget",
    });
    audit(ex, actor, "budget.created", &row.id, details, at).await?;
    Ok(row.id)
}

/// Changes a budget's amount, cadence, timezone and hard/soft flag (its scope stays). A new
/// cadence or timezone starts counting in the new window.
pub async fn update_budget(
    store: &Store,
    actor: &Actor,
    id: &str,
    spec: &BudgetSpec<'_>,
) -> Result<BudgetView, IdentityError> {
    let (_, change) = parse_spec(spec)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (before, _) = load_managed(&mut ex, actor, id).await?;
    let unchanged = before.cadence == change.cadence
        && before.timezone == change.timezone
        && before.amount_micros == change.amount_micros
        && before.hard_limit == change.hard_limit;
    if !unchanged {
        ex.update_budget(&before.id, &change, at).await?;
        ex.bump_auth_epoch().await?;
        audit(
            &mut ex,
            actor,
            "budget.updated",
            &before.id,
            json!({
                "from": {"cadence": before.cadence, "timezone": before.timezone,
                         "amount_micros": before.amount_micros, "hard_limit": before.hard_limit},
                "to": {"cadence": change.cadence, "timezone": change.timezone,
                       "amount_micros": change.amount_micros, "hard_limit": change.hard_limit},
            }),
            at,
        )
        .await?;
    }
    let (r, teams) = load(&mut ex, &before.id).await?;
    let after = view(&mut ex, actor, r, teams, at).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a budget and its window counters (spend stays in the usage ledger). A budget from
/// the config comes back on the next `seed-config`.
pub async fn delete_budget(store: &Store, actor: &Actor, id: &str) -> Result<(), IdentityError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (before, _) = load_managed(&mut ex, actor, id).await?;
    ex.delete_budget(&before.id).await?;
    ex.bump_auth_epoch().await?;
    audit(
        &mut ex,
        actor,
        "budget.deleted",
        &before.id,
        json!({
            "scope": before.scope_kind, "scope_id": before.scope_id, "cadence": before.cadence,
            "amount_micros": before.amount_micros, "origin": before.origin,
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything the actor may attach a new budget to: teams, their service accounts, and users
/// all of whose teams the actor manages.
pub async fn budget_scopes(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<ScopeChoice>, IdentityError> {
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let manages = |t: &str| actor.can(&Action::ManageBudgets(t));
    let mut out = Vec::new();
    for t in ex.team_summaries().await? {
        if manages(&t.id) {
            out.push(ScopeChoice {
                scope: Scope::Team,
                label: format!("Team · {}", t.name),
                scope_id: t.id,
            });
        }
    }
    for sa in ex.list_service_account_records(None, now()).await? {
        if manages(&sa.team_id) {
            out.push(ScopeChoice {
                scope: Scope::ServiceAccount,
                label: format!("Service account · {} ({})", sa.name, sa.team_name),
                scope_id: sa.id,
            });
        }
    }
    let mut teams_by_user: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for m in ex.user_memberships(None).await? {
        teams_by_user.entry(m.user_id).or_default().push(m.team_id);
    }
    for u in ex.list_user_rows().await? {
        let teams = teams_by_user.remove(&u.id).unwrap_or_default();
        if u.status != "disabled" && may_manage(actor, &teams) {
            out.push(ScopeChoice {
                scope: Scope::User,
                label: format!("User · {}", u.email),
                scope_id: u.id,
            });
        }
    }
    Ok(out)
}

async fn audit(
    ex: &mut Exec<'_>,
    actor: &Actor,
    action: &str,
    id: &str,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    ex.insert_audit(
        &AuditEntry {
            actor: actor.user_id.clone(),
            action: action.to_string(),
            target_kind: Some("budget".into()),
            target_id: Some(id.to_string()),
            details,
            client_addr: None,
        },
        at,
    )
    .await
}
