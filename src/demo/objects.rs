//! Creating the demo objects inside the reset transaction: teams, people with their
//! memberships, service accounts, one credential per person and per service account, and
//! the budgets. Rows carry `origin = demo`; credentials are issued through the credential
//! capability's own checked insert, so they look exactly like operator-issued ones.

use chrono::{DateTime, Utc};

use super::dataset::{ACCOUNTS, BUDGETS, DemoScope, PEOPLE, TEAMS};
use super::{ACTOR, DemoError, IssuedKey, KeyOwner};
use crate::credentials::Grants;
use crate::credentials::manage::{self, OwnerSpec};
use crate::store::budget_admin::NewBudgetRow;
use crate::store::demo::DEMO_ORIGIN;
use crate::store::rows::NewUser;
use crate::store::service_accounts::NewServiceAccountRow;
use crate::store::{Exec, StoreError, new_id};

/// Ids of what was created, for the history and the budget windows.
#[derive(Debug, Default)]
pub(super) struct Created {
    /// (e-mail, user id), in [`PEOPLE`] order.
    pub people: Vec<(&'static str, String)>,
    pub keys: Vec<IssuedKey>,
}

impl Created {
    pub fn user_id(&self, email: &str) -> Option<&str> {
        self.people
            .iter()
            .find(|(e, _)| *e == email)
            .map(|(_, id)| id.as_str())
    }
}

/// A unique-constraint failure means a non-demo object already uses a demo id.
fn taken(what: String) -> impl FnOnce(StoreError) -> DemoError {
    move |e| match e {
        StoreError::Conflict(_) => DemoError::Taken(format!(
            "{what} already exists and is not demo data; rename or remove it, then run \
             `gateway demo reset` again"
        )),
        other => DemoError::Store(other),
    }
}

/// Creates every demo object. `hashes` holds one argon2id PHC string per person.
pub(super) async fn create(
    ex: &mut Exec<'_>,
    hashes: Vec<String>,
    at: DateTime<Utc>,
) -> Result<Created, DemoError> {
    let mut created = Created::default();
    for t in TEAMS {
        ex.insert_team(t.id, t.name, DEMO_ORIGIN, at)
            .await
            .map_err(taken(format!("team {}", t.id)))?;
    }
    for (p, hash) in PEOPLE.iter().zip(hashes) {
        let id = new_id();
        let user = NewUser {
            id: id.clone(),
            email: p.email.to_string(),
            name: p.name.to_string(),
            status: "active",
            platform_admin: false,
            password_hash: Some(hash),
            must_change_password: false,
            origin: DEMO_ORIGIN,
        };
        ex.insert_user(&user, at)
            .await
            .map_err(taken(format!("user {}", p.email)))?;
        ex.insert_membership(&id, p.team, p.role.as_str(), at)
            .await?;
        created.people.push((p.email, id));
    }
    for a in ACCOUNTS {
        let row = NewServiceAccountRow {
            id: a.id.to_string(),
            team_id: a.team.to_string(),
            name: a.name.to_string(),
            origin: DEMO_ORIGIN,
        };
        ex.insert_service_account(&row, at)
            .await
            .map_err(taken(format!("service account {}", a.id)))?;
    }
    for (p, (_, user_id)) in PEOPLE.iter().zip(&created.people) {
        let owner = OwnerSpec::UserId(user_id.clone());
        let key = issue(ex, &owner, "Demo personal key", at).await?;
        created.keys.push(IssuedKey {
            owner: KeyOwner::Person {
                email: p.email,
                user_id: user_id.clone(),
            },
            team: p.team,
            credential_id: key.id,
            key: key.key,
        });
    }
    for a in ACCOUNTS {
        let owner = OwnerSpec::ServiceAccount(a.id.to_string());
        let key = issue(ex, &owner, "Demo service key", at).await?;
        created.keys.push(IssuedKey {
            owner: KeyOwner::ServiceAccount { id: a.id },
            team: a.team,
            credential_id: key.id,
            key: key.key,
        });
    }
    for b in BUDGETS {
        let (scope_kind, scope_id) = match b.scope {
            DemoScope::Team(t) => ("team", t.to_string()),
            DemoScope::Person(email) => {
                let id = created.user_id(email).unwrap_or_default();
                ("user", id.to_string())
            }
        };
        let row = NewBudgetRow {
            id: b.id.to_string(),
            scope_kind,
            scope_id,
            cadence: b.cadence.as_str(),
            timezone: "UTC".into(),
            amount_micros: b.amount_micros,
            hard_limit: true,
            origin: DEMO_ORIGIN,
        };
        ex.insert_budget(&row, at)
            .await
            .map_err(taken(format!("budget {}", b.id)))?;
    }
    Ok(created)
}

/// Issues an all-models credential with the same checks and audit row as `credentials create`.
async fn issue(
    ex: &mut Exec<'_>,
    owner: &OwnerSpec,
    name: &str,
    at: DateTime<Utc>,
) -> Result<manage::Issued, DemoError> {
    let resolved = manage::resolve_owner(ex, owner, None).await?;
    Ok(manage::insert(ex, &resolved, name, &Grants::All, None, ACTOR, at).await?)
}
