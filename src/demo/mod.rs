//! The local demo dataset: two teams, five people who can sign in to `/admin` with
//! [`PASSWORD`], a personal credential per person and a service-account credential per team,
//! three budgets, and 30 days of sample request logs and spend — so a fresh local gateway has
//! something to look at.
//!
//! [`reset`] deletes whatever demo data exists (and only that: rows with `origin = demo`, what
//! lives inside them, and sample rows; see `store::demo`) and seeds it again, in one
//! transaction under the `Seed` lock. `gateway serve` calls it once when the local SQLite file
//! was new and `demo.seed_when_new` is set (only `config/gateway.yaml` sets it);
//! `gateway demo reset` calls it on demand. PostgreSQL is refused unless forced: the dataset
//! publishes a password and live keys. Writing the keys to disk is `keyfile`'s job; printing
//! them is the CLI's. No HTTP here.

mod dataset;
mod history;
pub mod keyfile;
mod objects;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use self::dataset::{ACCOUNTS, BUDGETS, DemoScope, PEOPLE, TEAMS};
use self::history::{Caller, Target};
use crate::budgets::window::window;
use crate::catalog::Catalog;
use crate::credentials::ApiKey;
use crate::credentials::manage::CredentialError;
use crate::recording::{BATCH, Record};
use crate::store::budgets::WindowKey;
use crate::store::demo::DemoRemoved;
use crate::store::rows::{AuditEntry, LedgerRow};
use crate::store::{Exec, LockName, Store, StoreError, now};

/// The password of every demo person (documented in the README; local demo only).
pub const PASSWORD: &str = "demo-password";
/// Who the demo seed acts as in audit rows and `created_by`.
const ACTOR: &str = "system:demo";

/// Why the demo dataset could not be (re)created.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "refusing to seed the demo dataset into a PostgreSQL database: it creates people with \
         a published password and live credentials, and is meant for the local SQLite file. \
         Pass --force to do it anyway"
    )]
    PostgresNotForced,
    /// A non-demo object uses a demo id.
    #[error("{0}")]
    Taken(String),
    #[error("cannot hash the demo password: {0}")]
    Hash(String),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whose demo key this is.
#[derive(Debug, Clone)]
pub enum KeyOwner {
    Person {
        email: &'static str,
        user_id: String,
    },
    ServiceAccount {
        id: &'static str,
    },
}

/// A freshly issued demo credential. `key` is the secret: show it once, keep it only in the
/// 0600 credentials file. `Debug` redacts it (see [`ApiKey`]).
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub owner: KeyOwner,
    pub team: &'static str,
    pub credential_id: String,
    pub key: ApiKey,
}

/// What a reset did.
#[derive(Debug)]
pub struct Seeded {
    /// The previous demo data that was deleted first.
    pub removed: DemoRemoved,
    pub keys: Vec<IssuedKey>,
    pub request_logs: usize,
    pub ledger_rows: usize,
    /// Why there is no sample history, when there is none.
    pub history_note: Option<String>,
}

/// Refuses PostgreSQL unless `force`.
pub fn allowed(store: &Store, force: bool) -> Result<(), DemoError> {
    match store {
        Store::Postgres(_) if !force => Err(DemoError::PostgresNotForced),
        _ => Ok(()),
    }
}

/// Deletes any previous demo data and seeds the dataset again (see the module docs).
pub async fn reset(store: &Store, force: bool) -> Result<Seeded, DemoError> {
    allowed(store, force)?;
    // argon2 takes tens of milliseconds: hash before taking the lock. One hash (and salt) each.
    let mut hashes = Vec::with_capacity(PEOPLE.len());
    for _ in PEOPLE {
        let phc = crate::identity::password::hash(PASSWORD)
            .await
            .map_err(|e| DemoError::Hash(e.to_string()))?;
        hashes.push(phc);
    }
    let targets = targets(&Catalog::load(store).await?);
    let at = now();
    let mut tx = store.begin_locked(LockName::Seed).await?;
    let mut ex = tx.ex();
    let removed = ex.delete_demo_data().await?;
    let created = objects::create(&mut ex, hashes, at).await?;
    let records = history::generate(&callers(&created.keys), &targets, at);
    let (request_logs, ledger_rows) = write_history(&mut ex, &records).await?;
    let ledger: Vec<&LedgerRow> = records.iter().filter_map(|r| r.ledger.as_ref()).collect();
    count_current_windows(&mut ex, &created, &ledger, at).await?;
    // Every replica reloads its key cache and budgets.
    ex.bump_auth_epoch().await?;
    ex.insert_audit(
        &AuditEntry {
            actor: ACTOR.into(),
            action: "demo.reset".into(),
            target_kind: None,
            target_id: None,
            details: json!({
                "removed": removed,
                "teams": TEAMS.len(), "users": PEOPLE.len(), "service_accounts": ACCOUNTS.len(),
                "credentials": created.keys.len(), "budgets": BUDGETS.len(),
                "request_logs": request_logs, "ledger_rows": ledger_rows,
            }),
            client_addr: None,
        },
        at,
    )
    .await?;
    tx.commit().await?;
    let history_note = targets.is_empty().then(|| {
        format!(
            "no model in the catalogue is routed to the `{}` provider, so no sample history \
             was written",
            history::PROVIDER
        )
    });
    Ok(Seeded {
        removed,
        keys: created.keys,
        request_logs,
        ledger_rows,
        history_note,
    })
}

/// Every model name (aliases included) served by a route on the mock provider.
fn targets(catalog: &Catalog) -> Vec<Target> {
    catalog
        .ids()
        .filter_map(|id| {
            let model = catalog.resolve(id)?;
            let route = model
                .routes
                .iter()
                .filter(|r| r.provider_id == history::PROVIDER)
                .min_by_key(|r| r.priority)?;
            Some(Target {
                requested: id.to_string(),
                served: model.id.clone(),
                embeddings: model.id.contains("embed") || route.upstream_model.contains("embed"),
                price: route.price,
            })
        })
        .collect()
}

fn callers(keys: &[IssuedKey]) -> Vec<Caller> {
    keys.iter()
        .map(|k| {
            let (user_id, service_account_id, traffic) = match &k.owner {
                KeyOwner::Person { email, user_id } => {
                    let traffic = PEOPLE.iter().find(|p| p.email == *email).map(|p| p.traffic);
                    (Some(user_id.clone()), None, traffic)
                }
                KeyOwner::ServiceAccount { id } => {
                    let traffic = ACCOUNTS.iter().find(|a| a.id == *id).map(|a| a.traffic);
                    (None, Some(id.to_string()), traffic)
                }
            };
            Caller {
                credential_id: k.credential_id.clone(),
                user_id,
                service_account_id,
                team_id: k.team.to_string(),
                traffic: traffic.unwrap_or(1),
            }
        })
        .collect()
}

/// Inserts the samples with the recorder's own queries, in its batch size.
async fn write_history(ex: &mut Exec<'_>, records: &[Record]) -> Result<(usize, usize), DemoError> {
    let mut ledger_rows = 0;
    for chunk in records.chunks(BATCH) {
        let logs: Vec<_> = chunk.iter().map(|r| r.log.clone()).collect();
        let ledger: Vec<_> = chunk.iter().filter_map(|r| r.ledger.clone()).collect();
        ex.insert_request_logs(&logs).await?;
        if !ledger.is_empty() {
            ledger_rows += ledger.len();
            ex.insert_ledger(&ledger).await?;
        }
    }
    Ok((records.len(), ledger_rows))
}

/// Counts the sample spend that falls in each demo budget's current window as settled spend,
/// so the budget pages agree with the spend pages (no lease is held: settling with nothing
/// leased only adds to the window's spend).
async fn count_current_windows(
    ex: &mut Exec<'_>,
    created: &objects::Created,
    ledger: &[&LedgerRow],
    at: DateTime<Utc>,
) -> Result<(), DemoError> {
    for b in BUDGETS {
        let (start, _) = window(b.cadence, chrono_tz::UTC, at);
        let applies = |row: &&&LedgerRow| match b.scope {
            DemoScope::Team(t) => row.team_id.as_deref() == Some(t),
            DemoScope::Person(email) => {
                row.user_id.is_some() && row.user_id.as_deref() == created.user_id(email)
            }
        };
        let spent: i64 = ledger
            .iter()
            .filter(|r| r.at >= start)
            .filter(applies)
            .filter_map(|r| r.cost_micros)
            .sum();
        if spent > 0 {
            let w = WindowKey {
                budget_id: b.id,
                window_start: start,
            };
            ex.settle_lease(w, ACTOR, spent, 0, at).await?;
        }
    }
    Ok(())
}
