//! Who may do what: the role × action matrix for service accounts and credentials, and the
//! validation of service-account input.

use chrono::Duration;
use gateway::credentials::Grants;
use gateway::credentials::lifecycle::{self, CredentialFilter, CredentialOwner};
use gateway::credentials::manage::{CredentialError, OwnerSpec};
use gateway::credentials::service_accounts::{self, ServiceAccountStatus};
use gateway::identity::{Email, IdentityError};

use super::world::{World, permitted};
use crate::both_backends;
use crate::common::Backend;

async fn service_account_actions_follow_the_permission_matrix(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let allowed = [true, true, true, false, false];
    for (i, ((who, actor), want)) in w.actors().into_iter().zip(allowed).enumerate() {
        let slug = format!("robot-{i}");
        let created =
            service_accounts::create_service_account(s, actor, "alpha", &slug, "Robot").await;
        permitted(created, want, "create", who);
        let name = format!("CI {i}");
        let renamed = service_accounts::rename_service_account(s, actor, "ci", &name).await;
        permitted(renamed, want, "rename", who);
        let off = service_accounts::deactivate_service_account(s, actor, "ci").await;
        permitted(off, want, "deactivate", who);
        let on = service_accounts::reactivate_service_account(s, actor, "ci").await;
        permitted(on, want, "reactivate", who);
        let shown = service_accounts::get_service_account(s, actor, "ci").await;
        permitted(shown, want, "get", who);
        let listed = service_accounts::list_service_accounts(s, actor, Some("alpha")).await;
        permitted(listed, want, "list team", who);
    }
    // The outsider manages beta, and only beta.
    let beta = service_accounts::list_service_accounts(s, &w.outsider, Some("beta"))
        .await
        .expect("outsider lists own team");
    assert_eq!(
        beta.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["etl"]
    );
    let created = service_accounts::create_service_account(s, &w.outsider, "beta", "loader", "L");
    assert_eq!(created.await.expect("own team").team_id, "beta");

    // Without a team: what the actor manages.
    let ids = |v: Vec<service_accounts::ServiceAccount>| -> Vec<String> {
        v.into_iter().map(|a| a.id).collect()
    };
    let all = service_accounts::list_service_accounts(s, &w.admin, None).await;
    assert_eq!(
        ids(all.expect("admin")),
        ["ci", "robot-0", "robot-1", "robot-2", "etl", "loader"]
    );
    let owners = service_accounts::list_service_accounts(s, &w.owner, None).await;
    assert_eq!(
        ids(owners.expect("owner")),
        ["ci", "robot-0", "robot-1", "robot-2"]
    );
    let members = service_accounts::list_service_accounts(s, &w.member, None).await;
    assert!(members.expect("member").is_empty());
    let outsiders = service_accounts::list_service_accounts(s, &w.outsider, None).await;
    assert_eq!(ids(outsiders.expect("outsider")), ["etl", "loader"]);
}

async fn service_account_input_is_validated_and_counts_credentials(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    for bad in ["X", "Has Caps", "under_score", "-dash", &"a".repeat(41)] {
        let r = service_accounts::create_service_account(s, &w.owner, "alpha", bad, "N").await;
        assert!(
            matches!(r, Err(CredentialError::Invalid(_))),
            "{bad:?}: {r:?}"
        );
    }
    let r = service_accounts::create_service_account(s, &w.owner, "alpha", "ok-id", "  ").await;
    assert!(matches!(r, Err(CredentialError::EmptyName)), "{r:?}");
    // Ids are global: taken in another team is still taken.
    let dup = service_accounts::create_service_account(s, &w.owner, "alpha", "etl", "Dup").await;
    match dup {
        Err(e @ CredentialError::ServiceAccountExists(_)) => {
            assert!(matches!(IdentityError::from(e), IdentityError::Conflict(_)));
        }
        other => panic!("duplicate id: {other:?}"),
    }
    let nowhere = service_accounts::create_service_account(s, &w.admin, "nope", "x1", "X").await;
    match nowhere {
        Err(e @ CredentialError::UnknownTeam(_)) => {
            assert!(matches!(IdentityError::from(e), IdentityError::NotFound(_)));
        }
        other => panic!("unknown team: {other:?}"),
    }
    let missing = service_accounts::rename_service_account(s, &w.admin, "ghost", "G").await;
    assert!(matches!(
        missing,
        Err(CredentialError::UnknownServiceAccount(_))
    ));
    let forbidden = service_accounts::rename_service_account(s, &w.member, "ci", "G").await;
    assert!(matches!(
        IdentityError::from(forbidden.expect_err("member")),
        IdentityError::Forbidden
    ));

    let sa = service_accounts::create_service_account(s, &w.team_admin, "alpha", "batch", "Batch")
        .await
        .expect("create");
    assert_eq!(
        (sa.status, sa.origin.as_str(), sa.team_name.as_str()),
        (ServiceAccountStatus::Active, "admin", "Alpha")
    );
    assert_eq!((sa.credentials.total, sa.credentials.live), (0, 0));
    let first = w.issue_sa(&w.owner, "batch", "one").await;
    w.issue_sa(&w.owner, "batch", "two").await;
    lifecycle::revoke_credential(s, &w.owner, &first.credential.id)
        .await
        .expect("revoke");
    let sa = service_accounts::get_service_account(s, &w.owner, "batch")
        .await
        .expect("get");
    assert_eq!((sa.credentials.total, sa.credentials.live), (2, 1));
    let renamed = service_accounts::rename_service_account(s, &w.owner, "batch", " Nightly ")
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Nightly");
}

async fn credential_actions_follow_the_permission_matrix(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let team_managers = [true, true, true, false, false];
    let self_or_admin = [true, false, false, true, false];
    let member_id = w.member.user_id.clone();
    let member_email = Email::parse("member@example.com").expect("email");

    for (((who, actor), sa_ok), personal_ok) in
        w.actors().into_iter().zip(team_managers).zip(self_or_admin)
    {
        // Service-account credentials: the team's managers.
        let issued = lifecycle::issue_credential(
            s,
            actor,
            &OwnerSpec::ServiceAccount("ci".into()),
            "matrix",
            &Grants::All,
            None,
            None,
        )
        .await;
        permitted(issued, sa_ok, "issue for service account", who);
        let target = w.issue_sa(&w.admin, "ci", "target").await.credential.id;
        permitted(
            lifecycle::get_credential(s, actor, &target).await,
            sa_ok,
            "get",
            who,
        );
        let grants = Grants::Models(vec!["small".into()]);
        let edited = lifecycle::set_grants(s, actor, &target, &grants).await;
        permitted(edited, sa_ok, "set grants", who);
        let rotated = lifecycle::rotate_credential(s, actor, &target, None).await;
        permitted(rotated, sa_ok, "rotate", who);
        let other = w.issue_sa(&w.admin, "ci", "other").await.credential.id;
        let revoked = lifecycle::revoke_credential(s, actor, &other).await;
        permitted(revoked, sa_ok, "revoke", who);
        let by_sa = lifecycle::list_credentials(s, actor, CredentialFilter::ServiceAccount("ci"));
        permitted(by_sa.await, sa_ok, "list service account", who);
        let by_team = lifecycle::list_credentials(s, actor, CredentialFilter::Team("alpha"));
        permitted(by_team.await, sa_ok, "list team", who);

        // The member's personal credentials: the member, or a platform admin.
        let for_member = lifecycle::issue_credential(
            s,
            actor,
            &OwnerSpec::UserId(member_id.clone()),
            "for member",
            &Grants::All,
            None,
            None,
        )
        .await;
        permitted(for_member, personal_ok, "issue for the member (id)", who);
        let by_email = lifecycle::issue_credential(
            s,
            actor,
            &OwnerSpec::User(member_email.clone()),
            "for member",
            &Grants::All,
            None,
            None,
        )
        .await;
        permitted(by_email, personal_ok, "issue for the member (email)", who);
        let mine = w.issue_own(&w.member, "personal").await.credential.id;
        let large = Grants::Models(vec!["large".into()]);
        let edited = lifecycle::set_grants(s, actor, &mine, &large).await;
        permitted(edited, personal_ok, "set grants (personal)", who);
        let rotated = lifecycle::rotate_credential(s, actor, &mine, Some(Duration::minutes(5)));
        permitted(rotated.await, personal_ok, "rotate (personal)", who);
        let revoked = lifecycle::revoke_credential(s, actor, &mine).await;
        permitted(revoked, personal_ok, "revoke (personal)", who);
        let listed = lifecycle::list_credentials(s, actor, CredentialFilter::User(&member_id));
        permitted(listed.await, personal_ok, "list the member's", who);

        // Everyone manages their own personal credentials; only platform admins list all.
        let own = w.issue_own(actor, "own").await;
        let own_list = lifecycle::list_credentials(s, actor, CredentialFilter::Mine)
            .await
            .expect("list mine");
        assert!(own_list.iter().any(|c| c.id == own.credential.id), "{who}");
        assert!(
            own_list.iter().all(|c| matches!(
                &c.owner,
                CredentialOwner::User { id, .. } if *id == actor.user_id
            )),
            "{who} sees only their own: {own_list:?}"
        );
        let all = lifecycle::list_credentials(s, actor, CredentialFilter::All).await;
        permitted(all, who == "platform admin", "list all", who);
    }

    // A personal credential spends for its user's team; a team's managers see the team's
    // service-account credentials there but not members' personal ones.
    let personal = w.issue_own(&w.member, "bound").await.credential;
    assert_eq!(personal.team_id.as_deref(), Some("alpha"));
    let team = lifecycle::list_credentials(s, &w.owner, CredentialFilter::Team("alpha"))
        .await
        .expect("owner lists team");
    assert!(team.iter().all(|c| match &c.owner {
        CredentialOwner::ServiceAccount { id, .. } => id == "ci",
        CredentialOwner::User { id, .. } => *id == w.owner.user_id,
    }));
    let team = lifecycle::list_credentials(s, &w.admin, CredentialFilter::Team("alpha"))
        .await
        .expect("admin lists team");
    assert!(team.iter().any(|c| c.id == personal.id));
    // The outsider cannot issue for another team's service account, nor learn about users.
    let ghost = lifecycle::issue_credential(
        s,
        &w.member,
        &OwnerSpec::User(Email::parse("ghost@example.com").expect("email")),
        "x",
        &Grants::All,
        None,
        None,
    )
    .await;
    assert!(
        matches!(ghost, Err(CredentialError::Forbidden)),
        "{ghost:?}"
    );
    let missing = lifecycle::revoke_credential(s, &w.admin, "no-such-credential").await;
    assert!(matches!(missing, Err(CredentialError::NotFound(_))));
}
both_backends!(
    service_account_actions_follow_the_permission_matrix,
    service_account_input_is_validated_and_counts_credentials,
    credential_actions_follow_the_permission_matrix,
);
