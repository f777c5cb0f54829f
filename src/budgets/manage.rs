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

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;

use super::gate::Scope;
use super::money::MicroUsd;
use super::window::{Cadence, window};
use crate::identity::IdentityError;
use crate::identity::permissions::{Action, Actor};
use crate::store::budget_admin::{BudgetChange, BudgetRecord, NewBudgetRow};
use crate::store::budgets::WindowKey;
use crate::store::rows::AuditEntry;
use crate::store::{Exec, Store, StoreError, now};

/// Longest budget id, in bytes.
const MAX_ID_LEN: usize = 60;

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

/// The editable part of a budget, as typed by a person.
#[derive(Debug, Clone, Copy)]
pub struct BudgetSpec<'a> {
    /// `daily`, `weekly` or `monthly`.
    pub cadence: &'a str,
    /// An IANA name such as `Europe/Berlin`.
    pub timezone: &'a str,
    /// USD as a decimal string, e.g. `25` or `12.50`.
    pub amount_usd: &'a str,
    pub hard_limit: bool,
}

/// A budget to create.
#[derive(Debug, Clone, Copy)]
pub struct NewBudget<'a> {
    /// A slug; derived from the scope and cadence when absent.
    pub id: Option<&'a str>,
    /// `team`, `user` or `service_account`.
    pub scope: &'a str,
    /// Team id, user id or service-account id.
    pub scope_id: &'a str,
    pub spec: BudgetSpec<'a>,
}

/// Something a budget can be attached to, for the create form.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeChoice {
    pub scope: Scope,
    pub scope_id: String,
    pub label: String,
}

fn scope_column(s: Scope) -> &'static str {
    match s {
        Scope::Team => "team",
        Scope::User => "user",
        Scope::ServiceAccount => "service_account",
    }
}

fn parse_scope(s: &str) -> Result<Scope, IdentityError> {
    match s.trim() {
        "team" => Ok(Scope::Team),
        "user" => Ok(Scope::User),
        "service_account" => Ok(Scope::ServiceAccount),
        other => Err(IdentityError::Invalid(format!(
            "scope: {other:?} must be team, user or service_account"
        ))),
    }
}

fn parse_cadence(s: &str) -> Result<Cadence, IdentityError> {
    match s.trim() {
        "daily" => Ok(Cadence::Daily),
        "weekly" => Ok(Cadence::Weekly),
        "monthly" => Ok(Cadence::Monthly),
        other => Err(IdentityError::Invalid(format!(
            "cadence: {other:?} must be daily, weekly or monthly"
        ))),
    }
}

fn parse_tz(s: &str) -> Result<Tz, IdentityError> {
    s.trim().parse::<Tz>().map_err(|_| {
        IdentityError::Invalid(format!(
            "timezone: {s:?} is not an IANA timezone name such as UTC or Europe/Berlin"
        ))
    })
}

fn parse_amount(s: &str) -> Result<MicroUsd, IdentityError> {
    let amount = MicroUsd::parse_usd(s.trim().trim_start_matches('$'))
        .map_err(|e| IdentityError::Invalid(format!("amount: {e}")))?;
    if amount.as_i64() <= 0 {
        return Err(IdentityError::Invalid(
            "amount: must be more than zero (delete the budget to remove the limit)".into(),
        ));
    }
    Ok(amount)
}

/// A budget id: 2–60 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
fn parse_id(s: &str) -> Result<String, IdentityError> {
    let s = s.trim();
    let charset = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    let starts = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if (2..=MAX_ID_LEN).contains(&s.len()) && charset && starts {
        Ok(s.to_string())
    } else {
        Err(IdentityError::Invalid(format!(
            "id: {s:?} must be 2-{MAX_ID_LEN} characters of a-z, 0-9, '-' and '_', starting \
             with a letter or digit"
        )))
    }
}

/// `platform-monthly`, `dev-weekly`: a readable default id.
fn default_id(base: &str, cadence: Cadence) -> String {
    let mut slug: String = base
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug = slug.trim_matches('-').to_string();
    slug.truncate(MAX_ID_LEN - 8);
    if slug.is_empty() {
        slug = "budget".into();
    }
    format!("{slug}-{}", cadence.as_str())
}

fn parse_spec(spec: &BudgetSpec<'_>) -> Result<(Cadence, BudgetChange), IdentityError> {
    let cadence = parse_cadence(spec.cadence)?;
    let tz = parse_tz(spec.timezone)?;
    let amount = parse_amount(spec.amount_usd)?;
    Ok((
        cadence,
        BudgetChange {
            cadence: cadence.as_str(),
            timezone: tz.name().to_string(),
            amount_micros: amount.as_i64(),
            hard_limit: spec.hard_limit,
        },
    ))
}

/// The teams a budget belongs to.
async fn teams_of(ex: &mut Exec<'_>, r: &BudgetRecord) -> Result<Vec<String>, StoreError> {
    match r.scope_kind.as_str() {
        "user" => ex.user_team_ids(&r.scope_id).await,
        _ => Ok(r.scope_team.iter().cloned().collect()),
    }
}

fn may_manage(actor: &Actor, teams: &[String]) -> bool {
    actor.platform_admin
        || (!teams.is_empty() && teams.iter().all(|t| actor.can(&Action::ManageBudgets(t))))
}

fn may_see(actor: &Actor, r: &BudgetRecord, teams: &[String]) -> bool {
    match r.scope_kind.as_str() {
        "user" => r.scope_id == actor.user_id,
        _ => teams.iter().any(|t| actor.can(&Action::ViewTeam(t))),
    }
}

async fn view(
    ex: &mut Exec<'_>,
    actor: &Actor,
    r: BudgetRecord,
    teams: Vec<String>,
    at: DateTime<Utc>,
) -> Result<BudgetView, StoreError> {
    let parsed = parse_cadence(&r.cadence)
        .ok()
        .zip(r.timezone.parse::<Tz>().ok());
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
    let scope = parse_scope(&r.scope_kind).unwrap_or(Scope::Team);
    Ok(BudgetView {
        can_edit: may_manage(actor, &teams),
        amount_usd: MicroUsd::from_micros(r.amount_micros)
            .to_string()
            .trim_start_matches('$')
            .to_string(),
        scope,
        scope_name: r.scope_name.unwrap_or_else(|| format!("{} (deleted)", r.scope_id)),
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

async fn load(
    ex: &mut Exec<'_>,
    id: &str,
) -> Result<(BudgetRecord, Vec<String>), IdentityError> {
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
        scope_kind: scope_column(scope),
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
        assert!(!may_manage(&owner_a, &[]), "teamless users: platform admins only");
        assert!(may_manage(&actor(true, &[]), &[]));
        let member = actor(false, &[("a", TeamRole::Member)]);
        assert!(!may_manage(&member, &a));
    }

    #[test]
    fn inputs_are_parsed_with_messages_naming_the_field() {
        let spec = |cadence, timezone, amount_usd| BudgetSpec {
            cadence,
            timezone,
            amount_usd,
            hard_limit: true,
        };
        let ok = parse_spec(&spec("weekly", " Europe/Berlin ", "$12.50")).map(|(_, c)| c);
        assert_eq!(
            ok.ok(),
            Some(BudgetChange {
                cadence: "weekly",
                timezone: "Europe/Berlin".into(),
                amount_micros: 12_500_000,
                hard_limit: true,
            })
        );
        let err = |s: BudgetSpec<'_>| parse_spec(&s).err().map(|e| e.to_string());
        assert!(err(spec("hourly", "UTC", "1")).is_some_and(|m| m.starts_with("cadence")));
        assert!(err(spec("daily", "Mars/Olympus", "1")).is_some_and(|m| m.starts_with("timezone")));
        assert!(err(spec("daily", "UTC", "0")).is_some_and(|m| m.contains("more than zero")));
        assert!(err(spec("daily", "UTC", "-1")).is_some_and(|m| m.starts_with("amount")));
    }

    #[test]
    fn ids_are_slugs_and_defaults_read_well() {
        assert!(parse_id("platform-monthly").is_ok());
        assert!(parse_id("a_1").is_ok());
        for bad in ["", "x", "-lead", "Upper", "has space", &"x".repeat(61)] {
            assert!(parse_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(default_id("Dev.Ops", Cadence::Weekly), "dev-ops-weekly");
        assert_eq!(default_id("", Cadence::Daily), "budget-daily");
        assert!(parse_id(&default_id(&"x".repeat(200), Cadence::Monthly)).is_ok());
    }
}
