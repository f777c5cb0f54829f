//! Who may do what on the control plane (DESIGN.md §3), decided here in the domain layer —
//! never only in the UI. Every admin page and `/api/v1/admin/*` call checks [`Actor::can`].
//!
//! - platform admin: everything;
//! - team owner / admin: their team's members, service accounts, credentials and budgets;
//! - member: their own personal credentials and usage.

use std::collections::HashMap;

use crate::config::schema::TeamRole;

/// A signed-in user (or a control-plane token acting as one).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub platform_admin: bool,
    /// Team id → role.
    pub teams: HashMap<String, TeamRole>,
}

/// Something an actor may want to do. Team-scoped actions name the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Create or rename teams; invite users into any team.
    ManageTeams,
    /// See a team and its members.
    ViewTeam(&'a str),
    /// Invite users into, remove from, or change roles in a team.
    ManageTeamMembers(&'a str),
    /// Deactivate/reactivate users, grant/revoke platform admin, see every user.
    ManageUsers,
    /// Create, rename, deactivate a team's service accounts and manage their credentials.
    ManageServiceAccounts(&'a str),
    /// Create, edit or delete a team's budgets.
    ManageBudgets(&'a str),
    /// See a team's usage, spend and request logs.
    ViewTeamUsage(&'a str),
    /// See usage, spend and request logs of everyone.
    ViewAllUsage,
    /// Manage one's own personal credentials (and see one's own usage).
    ManageOwnCredentials,
    /// Read the audit log.
    ViewAudit,
    /// Read the model catalogue.
    ViewModels,
    /// Change operational settings.
    ManageSettings,
}

impl Actor {
    /// An actor from a user's columns and their `(team id, role)` memberships as stored;
    /// an unknown role string grants nothing.
    pub fn with_roles(
        user_id: String,
        email: String,
        name: String,
        platform_admin: bool,
        roles: Vec<(String, String)>,
    ) -> Actor {
        let teams = roles
            .into_iter()
            .filter_map(|(team, role)| {
                let role = match role.as_str() {
                    "owner" => TeamRole::Owner,
                    "admin" => TeamRole::Admin,
                    "member" => TeamRole::Member,
                    _ => return None,
                };
                Some((team, role))
            })
            .collect();
        Actor {
            user_id,
            email,
            name,
            platform_admin,
            teams,
        }
    }

    fn role_in(&self, team: &str) -> Option<TeamRole> {
        self.teams.get(team).copied()
    }

    fn team_manager(&self, team: &str) -> bool {
        matches!(self.role_in(team), Some(TeamRole::Owner | TeamRole::Admin))
    }

    /// The one permission check.
    pub fn can(&self, action: &Action<'_>) -> bool {
        if self.platform_admin {
            return true;
        }
        match action {
            Action::ManageTeams
            | Action::ManageUsers
            | Action::ViewAllUsage
            | Action::ViewAudit
            | Action::ManageSettings => false,
            Action::ViewTeam(t) => self.role_in(t).is_some(),
            Action::ManageTeamMembers(t)
            | Action::ManageServiceAccounts(t)
            | Action::ManageBudgets(t)
            | Action::ViewTeamUsage(t) => self.team_manager(t),
            Action::ManageOwnCredentials | Action::ViewModels => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(platform_admin: bool, teams: &[(&str, TeamRole)]) -> Actor {
        Actor {
            user_id: "u".into(),
            email: "u@example.com".into(),
            name: "U".into(),
            platform_admin,
            teams: teams.iter().map(|(t, r)| (t.to_string(), *r)).collect(),
        }
    }

    /// The whole matrix: role × action, for the actor's own team ("a") and another ("b").
    #[test]
    fn the_permission_matrix_holds() {
        let admin = actor(true, &[]);
        let owner = actor(false, &[("a", TeamRole::Owner)]);
        let team_admin = actor(false, &[("a", TeamRole::Admin)]);
        let member = actor(false, &[("a", TeamRole::Member)]);
        let outsider = actor(false, &[]);
        use Action::*;
        // (action, platform admin, owner, team admin, member, outsider)
        let matrix: Vec<(Action, [bool; 5])> = vec![
            (ManageTeams, [true, false, false, false, false]),
            (ManageUsers, [true, false, false, false, false]),
            (ViewAllUsage, [true, false, false, false, false]),
            (ViewAudit, [true, false, false, false, false]),
            (ManageSettings, [true, false, false, false, false]),
            (ViewTeam("a"), [true, true, true, true, false]),
            (ViewTeam("b"), [true, false, false, false, false]),
            (ManageTeamMembers("a"), [true, true, true, false, false]),
            (ManageTeamMembers("b"), [true, false, false, false, false]),
            (ManageServiceAccounts("a"), [true, true, true, false, false]),
            (
                ManageServiceAccounts("b"),
                [true, false, false, false, false],
            ),
            (ManageBudgets("a"), [true, true, true, false, false]),
            (ManageBudgets("b"), [true, false, false, false, false]),
            (ViewTeamUsage("a"), [true, true, true, false, false]),
            (ViewTeamUsage("b"), [true, false, false, false, false]),
            (ManageOwnCredentials, [true, true, true, true, true]),
            (ViewModels, [true, true, true, true, true]),
        ];
        let actors = [&admin, &owner, &team_admin, &member, &outsider];
        for (action, expected) in matrix {
            for (actor, want) in actors.iter().zip(expected) {
                assert_eq!(actor.can(&action), want, "{action:?} for {actor:?}");
            }
        }
    }
}
