//! `seed-config`: reconcile teams, users, memberships, service accounts, providers, models and
//! budgets from YAML into the database, idempotently, in one transaction under the `Seed` lock.
//!
//! Rules: seeded users are `invited`; passwords and credentials are never touched; rows the
//! config does not mention are reported, never deleted; seeding never strips platform admin
//! from an active user (that could lock the operator out — it is reported instead).

mod rows;

use serde::Serialize;

use crate::config::Config;
use crate::store::seed::Outcome;
use crate::store::{LockName, Store, StoreError, now};

/// Counts for one kind of object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// What a seeding run did, per kind (in a fixed order), plus what it left alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedReport {
    pub kinds: Vec<(&'static str, Counts)>,
    /// `kind: key` of rows in the database that the config does not declare.
    pub not_in_config: Vec<String>,
    pub warnings: Vec<String>,
}

impl SeedReport {
    pub fn counts(&self, kind: &str) -> Counts {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }

    /// True when the run changed nothing.
    pub fn is_noop(&self) -> bool {
        self.kinds
            .iter()
            .all(|(_, c)| c.created == 0 && c.updated == 0)
    }

    /// One line per kind: `teams: 2 created, 0 updated, 1 unchanged`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (kind, c) in &self.kinds {
            out.push_str(&format!(
                "{kind}: {} created, {} updated, {} unchanged\n",
                c.created, c.updated, c.unchanged
            ));
        }
        for extra in &self.not_in_config {
            out.push_str(&format!(
                "in database but not in config (left alone): {extra}\n"
            ));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }
}

const KINDS: [&str; 8] = [
    "teams",
    "users",
    "memberships",
    "service_accounts",
    "providers",
    "models",
    "budgets",
    "routes",
];

/// Reconciles the database with `cfg`. Validation must already have passed.
pub async fn seed(store: &Store, cfg: &Config) -> Result<SeedReport, StoreError> {
    let mut tx = store.begin_locked(LockName::Seed).await?;
    let mut ex = tx.ex();
    let at = now();
    let mut counts: Vec<(&'static str, Counts)> =
        KINDS.iter().map(|k| (*k, Counts::default())).collect();
    let mut bump = |kind: &str, o: Outcome| {
        if let Some((_, c)) = counts.iter_mut().find(|(k, _)| *k == kind) {
            c.add(o);
        }
    };
    let mut warnings = Vec::new();

    for t in &cfg.teams {
        bump("teams", ex.reconcile(&rows::team(t), at).await?);
    }
    for u in &cfg.users {
        let mut admin = u.platform_admin;
        if !admin
            && let Some(existing) = ex.find_user_by_email(&u.email).await?
            && existing.platform_admin
            && existing.status == "active"
        {
            admin = true;
            warnings.push(format!(
                "users: {} is an active platform admin; the config says platform_admin: false, \
                 but seeding never removes admin rights — revoke them from the admin UI",
                existing.email
            ));
        }
        bump("users", ex.reconcile(&rows::user(u, admin), at).await?);
        let Some(user_id) = ex.user_id_by_email(&u.email).await? else {
            return Err(StoreError::Corrupt(format!("user {} vanished", u.email)));
        };
        for m in &u.teams {
            bump(
                "memberships",
                ex.reconcile(&rows::membership(&user_id, m), at).await?,
            );
        }
    }
    for sa in &cfg.service_accounts {
        bump(
            "service_accounts",
            ex.reconcile(&rows::service_account(sa), at).await?,
        );
    }
    for p in &cfg.providers {
        bump("providers", ex.reconcile(&rows::provider(p), at).await?);
    }
    for m in &cfg.models {
        bump("models", ex.reconcile(&rows::model(m), at).await?);
        for (i, r) in m.routes.iter().enumerate() {
            bump("routes", ex.reconcile(&rows::route(&m.id, i, r), at).await?);
        }
        let removed = ex.trim_routes(&m.id, m.routes.len() as i64).await?;
        for _ in 0..removed {
            bump("routes", Outcome::Updated);
        }
    }
    for b in &cfg.budgets {
        let user_id = match &b.user {
            Some(email) => Some(ex.user_id_by_email(email).await?.ok_or_else(|| {
                StoreError::Corrupt(format!("budget {}: user {email} vanished", b.id))
            })?),
            None => None,
        };
        bump(
            "budgets",
            ex.reconcile(&rows::budget(b, user_id), at).await?,
        );
    }

    let mut not_in_config = Vec::new();
    for (kind, table, col) in [
        ("teams", "teams", "id"),
        ("users", "users", "email"),
        ("service_accounts", "service_accounts", "id"),
        ("providers", "providers", "id"),
        ("models", "models", "id"),
        ("budgets", "budgets", "id"),
    ] {
        let declared = rows::declared_keys(cfg, kind);
        for key in ex.list_keys(table, col).await? {
            if !declared.contains(&key) {
                not_in_config.push(format!("{kind}: {key}"));
            }
        }
    }
    let report = SeedReport {
        kinds: counts,
        not_in_config,
        warnings,
    };
    if !report.is_noop() {
        // Running gateways reload budgets and credentials when the epoch moves.
        ex.bump_auth_epoch().await?;
    }
    tx.commit().await?;
    Ok(report)
}
