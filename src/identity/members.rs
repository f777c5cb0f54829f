//! Team membership changes: add a user to a team, remove them, change their role.
//!
//! Rules, on top of [`Action::ManageTeamMembers`] (platform admins, team owners and admins):
//! - **owners are managed by owners**: granting the owner role, or changing or removing an
//!   owner, also needs the actor to be a platform admin or an owner of that team — a team
//!   admin cannot promote themselves or demote the people above them;
//! - **a team keeps at least one owner**: removing or demoting its last owner is a
//!   `Conflict` (a team that never had an owner, e.g. a seeded one, may stay without).

use serde_json::json;

use super::permissions::{Action, Actor};
use super::users::{audit, conflict_as, load_user, require, role_from_db};
use super::{Email, IdentityError};
use crate::config::schema::TeamRole;
use crate::store::rows::UserRow;
use crate::store::{Exec, Store, now};

/// Adds an existing user to a team. `user` is a user id or an e-mail address (team owners
/// cannot list users, but know their colleagues' addresses). Needs
/// [`Action::ManageTeamMembers`]; adding as owner needs an owner (see the module docs).
/// Already a member → `Conflict` (change the role instead).
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    team: &str,
    user: &str,
    role: TeamRole,
) -> Result<(), IdentityError> {
    require(actor, &Action::ManageTeamMembers(team))?;
    if role == TeamRole::Owner {
        require_owner_rights(actor, team)?;
    }
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    ensure_team(&mut ex, team).await?;
    let user = resolve_user(&mut ex, user).await?;
    ex.insert_membership(&user.id, team, role.as_str(), at)
        .await
        .map_err(conflict_as(|| {
            format!(
                "{} is already a member of team {team}; change their role instead",
                user.email
            )
        }))?;
    audit(
        &mut ex,
        actor,
        "team.member_added",
        "team",
        team,
        json!({ "user_id": user.id, "email": user.email, "role": role.as_str() }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a user from a team. Their personal credentials bound to that team are revoked
/// (they would otherwise keep spending the team's budget). Needs
/// [`Action::ManageTeamMembers`]; removing an owner needs an owner, and never the last one.
pub async fn remove_member(
    store: &Store,
    actor: &Actor,
    team: &str,
    user_id: &str,
) -> Result<(), IdentityError> {
    require(actor, &Action::ManageTeamMembers(team))?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (user, current) = current_membership(&mut ex, team, user_id).await?;
    if current == TeamRole::Owner {
        require_owner_rights(actor, team)?;
        ensure_other_owner(&mut ex, team, &user, "removed").await?;
    }
    ex.delete_membership(user_id, team).await?;
    let revoked = ex
        .revoke_personal_credentials(user_id, Some(team), at)
        .await?;
    if revoked > 0 {
        ex.bump_auth_epoch().await?;
    }
    audit(
        &mut ex,
        actor,
        "team.member_removed",
        "team",
        team,
        json!({
            "user_id": user_id,
            "email": user.email,
            "role": current.as_str(),
            "credentials_revoked": revoked,
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a member's role. Needs [`Action::ManageTeamMembers`]; anything involving the owner
/// role needs an owner, and the last owner cannot be demoted. Same role → no change.
pub async fn set_team_role(
    store: &Store,
    actor: &Actor,
    team: &str,
    user_id: &str,
    role: TeamRole,
) -> Result<(), IdentityError> {
    require(actor, &Action::ManageTeamMembers(team))?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (user, current) = current_membership(&mut ex, team, user_id).await?;
    if current == role {
        return Ok(());
    }
    if current == TeamRole::Owner || role == TeamRole::Owner {
        require_owner_rights(actor, team)?;
    }
    if current == TeamRole::Owner {
        ensure_other_owner(&mut ex, team, &user, "demoted").await?;
    }
    ex.update_membership_role(user_id, team, role.as_str())
        .await?;
    audit(
        &mut ex,
        actor,
        "team.role_changed",
        "team",
        team,
        json!({
            "user_id": user_id,
            "email": user.email,
            "from": current.as_str(),
            "to": role.as_str(),
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Platform admins and the team's owners may manage its owners.
pub(crate) fn may_manage_owners(actor: &Actor, team: &str) -> bool {
    actor.platform_admin || actor.teams.get(team) == Some(&TeamRole::Owner)
}

pub(crate) fn require_owner_rights(actor: &Actor, team: &str) -> Result<(), IdentityError> {
    if may_manage_owners(actor, team) {
        Ok(())
    } else {
        Err(IdentityError::Forbidden)
    }
}

/// Sets `user_id`'s role in `team` inside the caller's transaction, inserting the
/// membership when missing and keeping the last-owner rule. Returns the previous role.
/// The caller has checked permissions.
pub(crate) async fn put_membership(
    ex: &mut Exec<'_>,
    team: &str,
    user: &UserRow,
    role: TeamRole,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<TeamRole>, IdentityError> {
    let current = match ex.membership_role(&user.id, team).await? {
        Some(r) => Some(role_from_db(&r)?),
        None => None,
    };
    match current {
        None => {
            ex.insert_membership(&user.id, team, role.as_str(), at)
                .await?
        }
        Some(c) if c == role => {}
        Some(c) => {
            if c == TeamRole::Owner {
                ensure_other_owner(ex, team, user, "demoted").await?;
            }
            ex.update_membership_role(&user.id, team, role.as_str())
                .await?;
        }
    }
    Ok(current)
}

pub(crate) async fn ensure_team(ex: &mut Exec<'_>, team: &str) -> Result<(), IdentityError> {
    match ex.team_row(team).await? {
        Some(_) => Ok(()),
        None => Err(IdentityError::NotFound(format!("team {team}"))),
    }
}

async fn current_membership(
    ex: &mut Exec<'_>,
    team: &str,
    user_id: &str,
) -> Result<(UserRow, TeamRole), IdentityError> {
    ensure_team(ex, team).await?;
    let user = load_user(ex, user_id).await?;
    let role = ex
        .membership_role(user_id, team)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("{} in team {team}", user.email)))?;
    Ok((user, role_from_db(&role)?))
}

/// Refuses (Conflict) unless the team has an owner other than `user`. The owners' rows stay
/// locked until commit on PostgreSQL.
async fn ensure_other_owner(
    ex: &mut Exec<'_>,
    team: &str,
    user: &UserRow,
    verb: &str,
) -> Result<(), IdentityError> {
    let owners = ex.lock_team_owners(team).await?;
    if owners.iter().any(|id| *id != user.id) {
        return Ok(());
    }
    Err(IdentityError::Conflict(format!(
        "{} is the last owner of team {team} and cannot be {verb}; make another member an \
         owner first",
        user.email
    )))
}

/// A user by id, or by e-mail when the reference contains `@`.
async fn resolve_user(ex: &mut Exec<'_>, user: &str) -> Result<UserRow, IdentityError> {
    if user.contains('@') {
        let email = Email::parse(user).map_err(IdentityError::Invalid)?;
        ex.find_user_by_email(email.as_str())
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("user {email}")))
    } else {
        load_user(ex, user).await
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

    #[test]
    fn only_platform_admins_and_the_teams_owners_manage_owners() {
        assert!(may_manage_owners(&actor(true, &[]), "a"));
        assert!(may_manage_owners(
            &actor(false, &[("a", TeamRole::Owner)]),
            "a"
        ));
        assert!(!may_manage_owners(
            &actor(false, &[("a", TeamRole::Owner)]),
            "b"
        ));
        assert!(!may_manage_owners(
            &actor(false, &[("a", TeamRole::Admin)]),
            "a"
        ));
        assert!(!may_manage_owners(
            &actor(false, &[("a", TeamRole::Member)]),
            "a"
        ));
    }
}
