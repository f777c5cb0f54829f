//! The seeded world every lifecycle test starts from: two teams, one actor per role, two
//! service accounts, two models; plus the assertions the tests share.

use std::collections::HashMap;

use gateway::config::Config;
use gateway::config::schema::TeamRole;
use gateway::credentials::Grants;
use gateway::credentials::lifecycle::{self, NewCredential};
use gateway::credentials::manage::{CredentialError, OwnerSpec};
use gateway::identity::permissions::Actor;
use gateway::store::Store;

use crate::common::{Backend, TestDb};

const CONFIG: &str = r#"
teams: [{ id: alpha, name: Alpha }, { id: beta, name: Beta }]
users:
  - { email: admin@example.com, name: Admin, platform_admin: true }
  - { email: owner@example.com, name: Owner, teams: [{ team: alpha, role: owner }] }
  - { email: tadmin@example.com, name: Team Admin, teams: [{ team: alpha, role: admin }] }
  - { email: member@example.com, name: Member, teams: [{ team: alpha, role: member }] }
  - { email: outsider@example.com, name: Outsider, teams: [{ team: beta, role: owner }] }
service_accounts: [{ id: ci, team: alpha, name: CI }, { id: etl, team: beta, name: ETL }]
providers: [{ id: mock, kind: mock }]
models:
  - { id: small, routes: [{ provider: mock, model: small }] }
  - { id: large, routes: [{ provider: mock, model: large }] }
"#;

/// A seeded database and one actor per role. The outsider owns another team (beta), so
/// "outsider" also covers "manager of a different team".
pub struct World {
    pub db: TestDb,
    pub store: Store,
    pub admin: Actor,
    pub owner: Actor,
    pub team_admin: Actor,
    pub member: Actor,
    pub outsider: Actor,
}

impl World {
    pub async fn new(backend: Backend) -> World {
        let db = TestDb::new(backend).await;
        let store = db.migrated_store().await;
        let cfg: Config = serde_yaml::from_str(CONFIG).expect("config");
        gateway::seed::seed(&store, &cfg).await.expect("seed");
        // Seeded users are invited; personal credentials need active ones.
        db.exec("UPDATE users SET status = 'active'").await;
        let ids: HashMap<String, String> = db
            .rows("SELECT email, id FROM users")
            .await
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        let actor = |email: &str, platform_admin: bool, teams: &[(&str, TeamRole)]| Actor {
            user_id: ids[email].clone(),
            email: email.to_string(),
            name: email.to_string(),
            platform_admin,
            teams: teams.iter().map(|(t, r)| (t.to_string(), *r)).collect(),
        };
        World {
            admin: actor("admin@example.com", true, &[]),
            owner: actor("owner@example.com", false, &[("alpha", TeamRole::Owner)]),
            team_admin: actor("tadmin@example.com", false, &[("alpha", TeamRole::Admin)]),
            member: actor("member@example.com", false, &[("alpha", TeamRole::Member)]),
            outsider: actor("outsider@example.com", false, &[("beta", TeamRole::Owner)]),
            db,
            store,
        }
    }

    /// (label, actor) in matrix order: platform admin, owner, team admin, member, outsider.
    pub fn actors(&self) -> [(&'static str, &Actor); 5] {
        [
            ("platform admin", &self.admin),
            ("team owner", &self.owner),
            ("team admin", &self.team_admin),
            ("member", &self.member),
            ("outsider", &self.outsider),
        ]
    }

    pub async fn issue_sa(&self, actor: &Actor, sa: &str, name: &str) -> NewCredential {
        lifecycle::issue_credential(
            &self.store,
            actor,
            &OwnerSpec::ServiceAccount(sa.into()),
            name,
            &Grants::All,
            None,
            None,
        )
        .await
        .expect("issue service-account credential")
    }

    pub async fn issue_own(&self, actor: &Actor, name: &str) -> NewCredential {
        lifecycle::issue_credential(
            &self.store,
            actor,
            &OwnerSpec::UserId(actor.user_id.clone()),
            name,
            &Grants::All,
            None,
            None,
        )
        .await
        .expect("issue personal credential")
    }

    /// Moves a credential's expiry into the past behind the library's back.
    pub async fn expire(&self, id: &str) {
        let sql = match self.db.backend {
            Backend::Sqlite => {
                format!("UPDATE credentials SET expires_at = 1000 WHERE id = '{id}'")
            }
            Backend::Postgres => format!(
                "UPDATE credentials SET expires_at = now() - interval '1 minute' WHERE id = '{id}'"
            ),
        };
        self.db.exec(&sql).await;
    }

    pub async fn audit_actions(&self) -> Vec<(String, String, String, String)> {
        self.db
            .rows(
                "SELECT action, actor, COALESCE(target_id, ''), details FROM audit_log \
                 WHERE action LIKE 'service_account.%' OR action LIKE 'credential.%' ORDER BY id",
            )
            .await
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
            .collect()
    }
}

/// Asserts an outcome of the permission matrix: success, or exactly `Forbidden`.
#[track_caller]
pub fn permitted<T: std::fmt::Debug>(
    result: Result<T, CredentialError>,
    want: bool,
    what: &str,
    who: &str,
) {
    match (result, want) {
        (Ok(_), true) | (Err(CredentialError::Forbidden), false) => {}
        (other, _) => panic!("{what} by {who}: expected allowed={want}, got {other:?}"),
    }
}

pub fn secret_part(key: &str) -> String {
    key.rsplit('_').next().expect("secret").to_string()
}
