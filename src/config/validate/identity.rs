//! Teams, users (and their memberships) and service accounts.

use std::collections::HashMap;

use super::{Ids, Validator, looks_like_email};
use crate::config::schema::Config;

/// The id indexes budgets need to check their owners.
pub(super) struct IdentityIds<'a> {
    pub(super) teams: Ids<'a>,
    pub(super) users: Ids<'a>,
    pub(super) service_accounts: Ids<'a>,
}

pub(super) fn check<'a>(v: &mut Validator<'_>, cfg: &'a Config) -> IdentityIds<'a> {
    let teams = Ids::collect(
        v,
        "teams",
        "id",
        cfg.teams.iter().map(|t| t.id.as_str()),
        false,
    );
    let users = Ids::collect(
        v,
        "users",
        "email",
        cfg.users.iter().map(|u| u.email.as_str()),
        true,
    );

    for (i, user) in cfg.users.iter().enumerate() {
        if !user.email.is_empty() && !looks_like_email(&user.email) {
            v.push(format!(
                "users[{i}].email {:?} is not an email address",
                user.email
            ));
        }
        let mut listed: HashMap<&str, usize> = HashMap::new();
        for (m, membership) in user.teams.iter().enumerate() {
            let key = format!("users[{i}].teams[{m}].team");
            teams.require(v, &key, &membership.team);
            match listed.get(membership.team.as_str()) {
                Some(&first) => v.push(format!(
                    "{key} {:?} lists the same team as users[{i}].teams[{first}]; \
                     a user has one role per team",
                    membership.team
                )),
                None => {
                    listed.insert(&membership.team, m);
                }
            }
        }
    }

    let service_accounts = Ids::collect(
        v,
        "service_accounts",
        "id",
        cfg.service_accounts.iter().map(|s| s.id.as_str()),
        false,
    );
    for (i, account) in cfg.service_accounts.iter().enumerate() {
        teams.require(v, &format!("service_accounts[{i}].team"), &account.team);
    }

    IdentityIds {
        teams,
        users,
        service_accounts,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testutil::{base, problems};
    use crate::config::schema::{Membership, ServiceAccount, Team, TeamRole};

    #[test]
    fn empty_team_id_is_reported_with_its_index() {
        let mut cfg = base();
        cfg.teams[1].id = String::new();
        // The membership in `research` now dangles too.
        assert_eq!(
            problems(&cfg),
            [
                "teams[1].id is empty",
                "users[0].teams[1].team \"research\" does not name an entry in teams",
            ]
        );
    }

    #[test]
    fn duplicate_team_id_names_both_indexes() {
        let mut cfg = base();
        cfg.teams.push(Team {
            id: "platform".into(),
            name: "Again".into(),
        });
        assert_eq!(
            problems(&cfg),
            ["teams[2].id \"platform\" is a duplicate of teams[0].id"]
        );
    }

    #[test]
    fn id_with_surrounding_whitespace_is_reported() {
        let mut cfg = base();
        cfg.teams.push(Team {
            id: " ops".into(),
            name: "Ops".into(),
        });
        assert_eq!(
            problems(&cfg),
            ["teams[2].id \" ops\" has leading or trailing whitespace"]
        );
    }

    #[test]
    fn user_emails_are_unique_regardless_of_case() {
        let mut cfg = base();
        cfg.users[1].email = "alice@EXAMPLE.com".into();
        assert_eq!(
            problems(&cfg),
            ["users[1].email \"alice@EXAMPLE.com\" is a duplicate of users[0].email"]
        );
    }

    #[test]
    fn empty_or_malformed_user_email_is_reported() {
        let mut cfg = base();
        cfg.users[1].email = String::new();
        assert_eq!(problems(&cfg), ["users[1].email is empty"]);
        cfg.users[1].email = "bob".into();
        assert_eq!(
            problems(&cfg),
            ["users[1].email \"bob\" is not an email address"]
        );
    }

    #[test]
    fn membership_in_an_unknown_team_is_reported_with_a_suggestion() {
        let mut cfg = base();
        cfg.users[1].teams.push(Membership {
            team: "platfrom".into(),
            role: TeamRole::Member,
        });
        assert_eq!(
            problems(&cfg),
            [
                "users[1].teams[0].team \"platfrom\" does not name an entry in teams — \
                 did you mean \"platform\"?"
            ]
        );
    }

    #[test]
    fn a_user_lists_a_team_at_most_once() {
        let mut cfg = base();
        cfg.users[0].teams.push(Membership {
            team: "platform".into(),
            role: TeamRole::Admin,
        });
        assert_eq!(
            problems(&cfg),
            [
                "users[0].teams[2].team \"platform\" lists the same team as users[0].teams[0]; \
                 a user has one role per team"
            ]
        );
    }

    #[test]
    fn service_account_ids_are_unique_and_name_existing_teams() {
        let mut cfg = base();
        cfg.service_accounts.push(ServiceAccount {
            id: "ci".into(),
            team: "nobody".into(),
            name: "CI 2".into(),
        });
        cfg.service_accounts.push(ServiceAccount {
            id: String::new(),
            team: "platform".into(),
            name: "Nameless".into(),
        });
        assert_eq!(
            problems(&cfg),
            [
                "service_accounts[1].id \"ci\" is a duplicate of service_accounts[0].id",
                "service_accounts[2].id is empty",
                "service_accounts[1].team \"nobody\" does not name an entry in teams",
            ]
        );
    }

    #[test]
    fn references_into_an_empty_list_say_it_is_empty() {
        let mut cfg = base();
        cfg.teams.clear();
        cfg.users.truncate(1);
        cfg.users[0].teams.truncate(1);
        cfg.service_accounts.clear();
        cfg.budgets.retain(|b| b.user.is_some());
        assert_eq!(
            problems(&cfg),
            [
                "users[0].teams[0].team \"platform\" does not name an entry in teams (teams is empty)"
            ]
        );
    }
}
