//! Turns the YAML config into the rows `seed-config` reconciles, in dependency order.
//! Pure functions: no database access, so the mapping is unit-tested on its own.

use crate::budgets::money::MicroUsd;
use crate::config::schema::{self, Config, Pricing};
use crate::store::new_id;
use crate::store::seed::{Field, SeedRow, Stamps};

fn usd(s: &str) -> Option<i64> {
    // Validation has already rejected unparsable amounts; anything left is treated as unset.
    MicroUsd::parse_usd(s).ok().map(|m| m.as_i64())
}

fn prices(p: Option<&Pricing>) -> [Field; 3] {
    [
        Field::int("price_input_per_mtok", p.and_then(|p| usd(&p.input))),
        Field::int("price_output_per_mtok", p.and_then(|p| usd(&p.output))),
        Field::int(
            "price_cached_per_mtok",
            p.and_then(|p| p.cached_input.as_deref().and_then(usd)),
        ),
    ]
}

pub fn team(t: &schema::Team) -> SeedRow {
    SeedRow {
        table: "teams",
        key: vec![Field::text("id", &t.id)],
        managed: vec![Field::text("name", &t.name)],
        insert_only: vec![Field::text("origin", "config")],
        stamps: Stamps::CreatedUpdated,
    }
}

/// Seeded users start `invited`: they cannot sign in before onboarding. Passwords are never
/// touched by seeding.
pub fn user(u: &schema::User, platform_admin: bool) -> SeedRow {
    SeedRow {
        table: "users",
        key: vec![Field::text("email", u.email.trim().to_lowercase())],
        managed: vec![
            Field::text("name", &u.name),
            Field::bool("platform_admin", platform_admin),
        ],
        insert_only: vec![
            Field::text("id", new_id()),
            Field::text("status", "invited"),
            Field::bool("must_change_password", false),
            Field::text("origin", "config"),
        ],
        stamps: Stamps::CreatedUpdated,
    }
}

pub fn membership(user_id: &str, m: &schema::Membership) -> SeedRow {
    SeedRow {
        table: "memberships",
        key: vec![
            Field::text("user_id", user_id),
            Field::text("team_id", &m.team),
        ],
        managed: vec![Field::text("role", m.role.as_str())],
        insert_only: vec![],
        stamps: Stamps::CreatedOnly,
    }
}

pub fn service_account(sa: &schema::ServiceAccount) -> SeedRow {
    SeedRow {
        table: "service_accounts",
        key: vec![Field::text("id", &sa.id)],
        managed: vec![
            Field::text("team_id", &sa.team),
            Field::text("name", &sa.name),
        ],
        insert_only: vec![
            Field::text("status", "active"),
            Field::text("origin", "config"),
        ],
        stamps: Stamps::CreatedUpdated,
    }
}

/// Only non-secret settings are stored; the key is kept as its reference (`env://NAME`).
pub fn provider(p: &schema::Provider) -> SeedRow {
    let settings = serde_json::json!({
        "base_url": p.base_url,
        "headers": p.headers.keys().collect::<Vec<_>>(),
        "timeouts": p.timeouts,
        "latency_ms": p.latency_ms,
    });
    let key_ref = (!p.api_key.is_unset()).then(|| p.api_key.describe());
    SeedRow {
        table: "providers",
        key: vec![Field::text("id", &p.id)],
        managed: vec![
            Field::text("kind", p.kind.as_str()),
            Field::text("settings", settings.to_string()),
            Field::opt_text("api_key_ref", key_ref),
        ],
        insert_only: vec![Field::text("origin", "config")],
        stamps: Stamps::CreatedUpdated,
    }
}

pub fn model(m: &schema::Model) -> SeedRow {
    let mut managed = vec![
        Field::text("description", &m.description),
        Field::opt_text("alias_of", m.alias_of.clone()),
        Field::int("max_output_tokens", m.max_output_tokens.map(i64::from)),
    ];
    managed.extend(prices(m.pricing.as_ref()));
    SeedRow {
        table: "models",
        key: vec![Field::text("id", &m.id)],
        managed,
        insert_only: vec![Field::text("origin", "config")],
        stamps: Stamps::CreatedUpdated,
    }
}

pub fn route(model_id: &str, position: usize, r: &schema::Route) -> SeedRow {
    let mut managed = vec![
        Field::text("provider_id", &r.provider),
        Field::text("upstream_model", &r.model),
        Field::int("weight", Some(i64::from(r.weight))),
        Field::int("priority", Some(i64::from(r.priority))),
    ];
    managed.extend(prices(r.pricing.as_ref()));
    SeedRow {
        table: "model_routes",
        key: vec![
            Field::text("model_id", model_id),
            Field::int("position", Some(position as i64)),
        ],
        managed,
        insert_only: vec![],
        stamps: Stamps::None,
    }
}

/// `user_id` is the id of `b.user`'s row (budgets attach to ids, not e-mails).
pub fn budget(b: &schema::Budget, user_id: Option<String>) -> SeedRow {
    let (kind, id) = match (&b.team, user_id, &b.service_account) {
        (Some(t), _, _) => ("team", t.clone()),
        (_, Some(u), _) => ("user", u),
        (_, _, Some(s)) => ("service_account", s.clone()),
        // Validation guarantees exactly one scope.
        _ => ("team", String::new()),
    };
    SeedRow {
        table: "budgets",
        key: vec![Field::text("id", &b.id)],
        managed: vec![
            Field::text("scope_kind", kind),
            Field::text("scope_id", id),
            Field::text("cadence", b.cadence.as_str()),
            Field::text("timezone", &b.timezone),
            Field::int("amount_micros", usd(&b.amount_usd)),
            Field::bool("hard_limit", b.hard_limit),
        ],
        insert_only: vec![Field::text("origin", "config")],
        stamps: Stamps::CreatedUpdated,
    }
}

/// All keys the config declares for one kind, to spot database rows it does not mention.
pub fn declared_keys(cfg: &Config, kind: &str) -> Vec<String> {
    match kind {
        "teams" => cfg.teams.iter().map(|t| t.id.clone()).collect(),
        "users" => cfg
            .users
            .iter()
            .map(|u| u.email.trim().to_lowercase())
            .collect(),
        "service_accounts" => cfg.service_accounts.iter().map(|s| s.id.clone()).collect(),
        "providers" => cfg.providers.iter().map(|p| p.id.clone()).collect(),
        "models" => cfg.models.iter().map(|m| m.id.clone()).collect(),
        "budgets" => cfg.budgets.iter().map(|b| b.id.clone()).collect(),
        _ => Vec::new(),
    }
}
