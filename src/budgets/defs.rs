//! Budget definitions as the gate holds them: scope, amount, hard or soft, time zone and the
//! window cache; the refusal error; and parsing of `budgets` rows. No I/O here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;

use super::window::{Cadence, WindowCache};
use crate::store::rows::BudgetRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Team,
    User,
    ServiceAccount,
}

impl Scope {
    /// From the `budgets.scope_kind` column.
    pub(super) fn parse(s: &str) -> Option<Scope> {
        match s {
            "team" => Some(Scope::Team),
            "user" => Some(Scope::User),
            "service_account" => Some(Scope::ServiceAccount),
            _ => None,
        }
    }

    /// The `budgets.scope_kind` column value.
    pub(super) fn column(self) -> &'static str {
        match self {
            Scope::Team => "team",
            Scope::User => "user",
            Scope::ServiceAccount => "service_account",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Team => "team",
            Scope::User => "user",
            Scope::ServiceAccount => "service account",
        }
    }
}

/// One configured budget.
#[derive(Debug)]
pub struct BudgetDef {
    pub id: String,
    pub scope: Scope,
    pub scope_id: String,
    pub amount: i64,
    pub hard: bool,
    pub tz: Tz,
    pub(super) windows: Mutex<WindowCache>,
}

/// Why a request was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "budget {budget_id} of {scope} {scope_id} cannot cover this request (limit {limit}); \
         it resets at {resets_at}"
    )]
    Exceeded {
        budget_id: String,
        scope: &'static str,
        scope_id: String,
        limit: String,
        resets_at: String,
    },
    #[error("budget state is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Default)]
pub(super) struct Defs {
    /// By owner id (team, user or service account; filter on [`BudgetDef::scope`]), so the
    /// hot path looks up with the principal's `&str` without allocating a key.
    pub(super) by_owner: HashMap<String, Vec<Arc<BudgetDef>>>,
}

impl Defs {
    /// Each budget's amount and hard flag, by id: what a reload compares.
    pub(super) fn limits(&self) -> HashMap<&str, (i64, bool)> {
        self.by_owner
            .values()
            .flatten()
            .map(|d| (d.id.as_str(), (d.amount, d.hard)))
            .collect()
    }
}

pub(super) fn def(row: BudgetRow) -> Result<BudgetDef, String> {
    let scope = Scope::parse(&row.scope_kind)
        .ok_or_else(|| format!("{}: unknown scope {}", row.id, row.scope_kind))?;
    let tz: Tz = row
        .timezone
        .parse()
        .map_err(|_| format!("{}: unknown timezone {}", row.id, row.timezone))?;
    let cadence = parse_cadence(&row.cadence)
        .ok_or_else(|| format!("{}: unknown cadence {}", row.id, row.cadence))?;
    Ok(BudgetDef {
        id: row.id,
        scope,
        scope_id: row.scope_id,
        amount: row.amount_micros,
        hard: row.hard_limit,
        tz,
        windows: Mutex::new(WindowCache::new(cadence, tz)),
    })
}

/// From the `budgets.cadence` column.
pub(super) fn parse_cadence(s: &str) -> Option<Cadence> {
    match s {
        "daily" => Some(Cadence::Daily),
        "weekly" => Some(Cadence::Weekly),
        "monthly" => Some(Cadence::Monthly),
        _ => None,
    }
}
