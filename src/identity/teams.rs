//! Teams: the [`TeamSlug`] id, creating and renaming teams, listing teams and their members.
//! Membership changes (add, remove, change role) are in `members`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::IdentityError;
use super::permissions::{Action, Actor};
use super::users::{UserStatus, audit, conflict_as, display_name, require, role_from_db};
use crate::config::schema::TeamRole;
use crate::store::directory::TeamRow;
use crate::store::{Store, now};

/// A team id chosen by a person: 2–40 characters of `a-z`, `0-9` and `-`, starting and
/// ending with a letter or digit (it appears in URLs, config files and budgets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TeamSlug(String);

impl TeamSlug {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 40;

    pub fn parse(input: &str) -> Result<TeamSlug, String> {
        let s = input.trim();
        let len = s.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(format!(
                "team id {s:?} must be {}–{} characters long",
                Self::MIN_LEN,
                Self::MAX_LEN
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "team id {s:?} may only contain lower-case letters a-z, digits and hyphens"
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(format!(
                "team id {s:?} must start and end with a letter or digit"
            ));
        }
        Ok(TeamSlug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TeamSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A team.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    /// `config` (seeded) or `admin` (created here).
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(r: TeamRow) -> Team {
        Team {
            id: r.id,
            name: r.name,
            origin: r.origin,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A team in a list, with head counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TeamSummary {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub members: i64,
    pub service_accounts: i64,
    /// The actor's own role in the team, if a member.
    pub my_role: Option<TeamRole>,
}

/// One member of a team.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TeamMember {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    pub status: UserStatus,
}

/// Creates a team. Needs [`Action::ManageTeams`]. The id must be a valid [`TeamSlug`]
/// (`Invalid`) and unused (`Conflict`).
pub async fn create_team(
    store: &Store,
    actor: &Actor,
    id: &str,
    name: &str,
) -> Result<Team, IdentityError> {
    require(actor, &Action::ManageTeams)?;
    let slug = TeamSlug::parse(id).map_err(IdentityError::Invalid)?;
    let name = display_name(name, "team name")?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    ex.insert_team(slug.as_str(), &name, "admin", at)
        .await
        .map_err(conflict_as(|| {
            format!("a team with id {slug} already exists")
        }))?;
    audit(
        &mut ex,
        actor,
        "team.created",
        "team",
        slug.as_str(),
        json!({ "name": name }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(Team {
        id: slug.to_string(),
        name,
        origin: "admin".into(),
        created_at: at,
        updated_at: at,
    })
}

/// Renames a team (its id never changes). Needs [`Action::ManageTeams`].
pub async fn rename_team(
    store: &Store,
    actor: &Actor,
    team: &str,
    name: &str,
) -> Result<Team, IdentityError> {
    require(actor, &Action::ManageTeams)?;
    let name = display_name(name, "team name")?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let before = ex
        .team_row(team)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("team {team}")))?;
    if before.name == name {
        return Ok(before.into());
    }
    ex.update_team_name(team, &name, at).await?;
    audit(
        &mut ex,
        actor,
        "team.renamed",
        "team",
        team,
        json!({ "from": before.name, "to": name }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(Team {
        name,
        updated_at: at,
        ..before.into()
    })
}

/// The teams the actor may see ([`Action::ViewTeam`]): every team for platform admins, their
/// own teams for everyone else. By id.
pub async fn list_teams(store: &Store, actor: &Actor) -> Result<Vec<TeamSummary>, IdentityError> {
    let rows = store.conn().await?.ex().team_summaries().await?;
    Ok(rows
        .into_iter()
        .filter(|t| actor.can(&Action::ViewTeam(&t.id)))
        .map(|t| TeamSummary {
            my_role: actor.teams.get(&t.id).copied(),
            id: t.id,
            name: t.name,
            origin: t.origin,
            members: t.members,
            service_accounts: t.service_accounts,
        })
        .collect())
}

/// One team, if the actor may see it ([`Action::ViewTeam`]).
pub async fn get_team(store: &Store, actor: &Actor, team: &str) -> Result<Team, IdentityError> {
    require(actor, &Action::ViewTeam(team))?;
    store
        .conn()
        .await?
        .ex()
        .team_row(team)
        .await?
        .map(Team::from)
        .ok_or_else(|| IdentityError::NotFound(format!("team {team}")))
}

/// The team's members by e-mail. Needs [`Action::ViewTeam`]; a team the actor may not see is
/// `Forbidden` whether or not it exists.
pub async fn team_members(
    store: &Store,
    actor: &Actor,
    team: &str,
) -> Result<Vec<TeamMember>, IdentityError> {
    require(actor, &Action::ViewTeam(team))?;
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    if ex.team_row(team).await?.is_none() {
        return Err(IdentityError::NotFound(format!("team {team}")));
    }
    ex.team_member_rows(team)
        .await?
        .into_iter()
        .map(|m| {
            Ok(TeamMember {
                role: role_from_db(&m.role)?,
                status: UserStatus::from_db(&m.status)?,
                user_id: m.user_id,
                email: m.email,
                name: m.name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lower_case_letters_digits_and_inner_hyphens() {
        for ok in ["ml", "platform", "team-42", "a1", &"x".repeat(40), " ops "] {
            assert!(TeamSlug::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
        assert_eq!(TeamSlug::parse(" ops ").unwrap().as_str(), "ops");
    }

    #[test]
    fn slugs_reject_bad_length_case_characters_and_edge_hyphens() {
        for bad in [
            "",
            "a",
            &"x".repeat(41),
            "Platform",
            "my team",
            "my_team",
            "équipe",
            "-ops",
            "ops-",
            "a/b",
        ] {
            assert!(TeamSlug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn slug_errors_say_what_is_wrong() {
        assert!(TeamSlug::parse("Ops").unwrap_err().contains("lower-case"));
        assert!(TeamSlug::parse("x").unwrap_err().contains("2–40"));
        assert!(TeamSlug::parse("-x").unwrap_err().contains("start and end"));
    }
}
