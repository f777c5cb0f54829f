//! What the demo dataset consists of: two teams, five people across them (each team with an
//! owner and an admin), a service account per team and three budgets. Plain constants, so the
//! README, the tests and the seed agree. Ids carry a `demo` prefix or domain so they never
//! collide with real objects and read as demo data wherever they appear.

use crate::config::schema::{Cadence, TeamRole};

/// A demo team.
#[derive(Debug, Clone, Copy)]
pub struct DemoTeam {
    pub id: &'static str,
    pub name: &'static str,
}

/// A demo person: active, signs in with [`super::PASSWORD`], one team.
#[derive(Debug, Clone, Copy)]
pub struct DemoPerson {
    pub email: &'static str,
    pub name: &'static str,
    pub team: &'static str,
    pub role: TeamRole,
    /// Relative share of the sample traffic.
    pub traffic: u32,
}

/// A demo service account.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub id: &'static str,
    pub team: &'static str,
    pub name: &'static str,
    pub traffic: u32,
}

/// What a demo budget limits.
#[derive(Debug, Clone, Copy)]
pub enum DemoScope {
    Team(&'static str),
    /// A person, by e-mail.
    Person(&'static str),
}

/// A demo budget (hard limit, UTC windows).
#[derive(Debug, Clone, Copy)]
pub struct DemoBudget {
    pub id: &'static str,
    pub scope: DemoScope,
    pub cadence: Cadence,
    pub amount_micros: i64,
}

pub const TEAMS: [DemoTeam; 2] = [
    DemoTeam {
        id: "demo-research",
        name: "Research (demo)",
    },
    DemoTeam {
        id: "demo-support",
        name: "Support (demo)",
    },
];

pub const PEOPLE: [DemoPerson; 5] = [
    DemoPerson {
        email: "ada@demo.local",
        name: "Ada Lovelace (demo)",
        team: "demo-research",
        role: TeamRole::Owner,
        traffic: 3,
    },
    DemoPerson {
        email: "alan@demo.local",
        name: "Alan Turing (demo)",
        team: "demo-research",
        role: TeamRole::Admin,
        traffic: 2,
    },
    DemoPerson {
        email: "katherine@demo.local",
        name: "Katherine Johnson (demo)",
        team: "demo-research",
        role: TeamRole::Member,
        traffic: 2,
    },
    DemoPerson {
        email: "grace@demo.local",
        name: "Grace Hopper (demo)",
        team: "demo-support",
        role: TeamRole::Owner,
        traffic: 2,
    },
    DemoPerson {
        email: "linus@demo.local",
        name: "Linus Pauling (demo)",
        team: "demo-support",
        role: TeamRole::Admin,
        traffic: 1,
    },
];

pub const ACCOUNTS: [DemoAccount; 2] = [
    DemoAccount {
        id: "demo-research-bot",
        team: "demo-research",
        name: "Research pipeline (demo)",
        traffic: 8,
    },
    DemoAccount {
        id: "demo-support-bot",
        team: "demo-support",
        name: "Support assistant (demo)",
        traffic: 10,
    },
];

/// $1000 a month per team; $50 a day for one person.
pub const BUDGETS: [DemoBudget; 3] = [
    DemoBudget {
        id: "demo-research-monthly",
        scope: DemoScope::Team("demo-research"),
        cadence: Cadence::Monthly,
        amount_micros: 1_000_000_000,
    },
    DemoBudget {
        id: "demo-support-monthly",
        scope: DemoScope::Team("demo-support"),
        cadence: Cadence::Monthly,
        amount_micros: 1_000_000_000,
    },
    DemoBudget {
        id: "demo-katherine-daily",
        scope: DemoScope::Person("katherine@demo.local"),
        cadence: Cadence::Daily,
        amount_micros: 50_000_000,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::service_accounts::ServiceAccountId;
    use crate::identity::Email;
    use crate::identity::teams::TeamSlug;

    #[test]
    fn every_id_is_valid_and_every_reference_resolves() {
        for t in TEAMS {
            TeamSlug::parse(t.id).expect("team slug");
        }
        for p in PEOPLE {
            Email::parse(p.email).expect("email");
            assert!(TEAMS.iter().any(|t| t.id == p.team), "{}", p.email);
        }
        for a in ACCOUNTS {
            ServiceAccountId::parse(a.id).expect("service account id");
            assert!(TEAMS.iter().any(|t| t.id == a.team), "{}", a.id);
        }
        for b in BUDGETS {
            match b.scope {
                DemoScope::Team(t) => assert!(TEAMS.iter().any(|x| x.id == t)),
                DemoScope::Person(e) => assert!(PEOPLE.iter().any(|p| p.email == e)),
            }
        }
    }

    #[test]
    fn each_team_has_an_owner_and_an_admin() {
        for t in TEAMS {
            let roles: Vec<TeamRole> = PEOPLE
                .iter()
                .filter(|p| p.team == t.id)
                .map(|p| p.role)
                .collect();
            assert!(roles.contains(&TeamRole::Owner), "{}", t.id);
            assert!(roles.contains(&TeamRole::Admin), "{}", t.id);
        }
    }
}
