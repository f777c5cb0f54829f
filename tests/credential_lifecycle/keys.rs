//! What lifecycle changes do to keys: deactivation and rotation as the key cache sees them,
//! grant edits, listings without secrets, and the audit trail.

use chrono::{Duration, Utc};
use gateway::credentials::lifecycle::{self, CredentialFilter, CredentialStatus};
use gateway::credentials::manage::{CredentialError, OwnerSpec};
use gateway::credentials::service_accounts::{self, ServiceAccountStatus};
use gateway::credentials::{AuthError, Grants, KeyCache};
use gateway::identity::IdentityError;

use super::world::{World, secret_part};
use crate::both_backends;
use crate::common::Backend;

async fn deactivating_a_service_account_stops_its_credentials_at_once(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let issued = w.issue_sa(&w.owner, "ci", "deploy").await;
    let key = issued.key.expose();
    let keys = KeyCache::load(s.clone()).await.expect("cache");
    assert!(keys.authenticate(&key).is_ok());
    let epoch = keys.epoch();

    let sa = service_accounts::deactivate_service_account(s, &w.team_admin, "ci")
        .await
        .expect("deactivate");
    assert_eq!(sa.status, ServiceAccountStatus::Disabled);
    keys.refresh().await.expect("refresh");
    assert!(
        keys.epoch() > epoch,
        "deactivation must bump the auth epoch"
    );
    assert!(matches!(
        keys.authenticate(&key),
        Err(AuthError::OwnerDisabled)
    ));
    let listed = lifecycle::get_credential(s, &w.owner, &issued.credential.id)
        .await
        .expect("get");
    assert!(!listed.owner_active);
    let refused = lifecycle::issue_credential(
        s,
        &w.owner,
        &OwnerSpec::ServiceAccount("ci".into()),
        "more",
        &Grants::All,
        None,
        None,
    )
    .await;
    match refused {
        Err(e @ CredentialError::ServiceAccountDisabled(_)) => {
            assert!(matches!(IdentityError::from(e), IdentityError::Conflict(_)));
        }
        other => panic!("issue for a disabled account: {other:?}"),
    }
    // Deactivating again changes nothing and does not bump the epoch.
    let before = keys.epoch();
    service_accounts::deactivate_service_account(s, &w.owner, "ci")
        .await
        .expect("idempotent");
    keys.refresh().await.expect("refresh");
    assert_eq!(keys.epoch(), before);

    service_accounts::reactivate_service_account(s, &w.owner, "ci")
        .await
        .expect("reactivate");
    keys.refresh().await.expect("refresh");
    assert!(keys.authenticate(&key).is_ok());
}

async fn rotation_with_grace_keeps_the_old_key_until_the_grace_ends(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let grants = Grants::Models(vec!["small".into()]);
    let old = lifecycle::issue_credential(
        s,
        &w.owner,
        &OwnerSpec::ServiceAccount("ci".into()),
        "deploy",
        &grants,
        Some(Utc::now() + Duration::days(10)),
        None,
    )
    .await
    .expect("issue");
    let keys = KeyCache::load(s.clone()).await.expect("cache");

    let rotation = lifecycle::rotate_credential(
        s,
        &w.team_admin,
        &old.credential.public_id,
        Some(Duration::hours(1)),
    )
    .await
    .expect("rotate");
    let (new, was) = (&rotation.new.credential, &rotation.old);
    assert_eq!(was.status, CredentialStatus::Rotating);
    assert_eq!(was.replaced_by.as_deref(), Some(new.id.as_str()));
    let ends = was.expires_at.expect("grace end") - Utc::now();
    assert!(
        ends > Duration::minutes(55) && ends <= Duration::hours(1),
        "{ends}"
    );
    assert_eq!(new.status, CredentialStatus::Active);
    assert_eq!((new.name.as_str(), &new.grants), ("deploy", &grants));
    assert_eq!(new.owner, old.credential.owner);
    assert_ne!(new.public_id, old.credential.public_id);
    // Same expiry policy: a 10-day lifetime from the rotation.
    let lifetime = new.expires_at.expect("expiry") - new.created_at;
    assert!(
        (lifetime - Duration::days(10)).num_seconds().abs() < 60,
        "{lifetime}"
    );

    keys.refresh().await.expect("refresh");
    let old_key = old.key.expose();
    let new_key = rotation.new.key.expose();
    assert!(
        keys.authenticate(&old_key).is_ok(),
        "old key works in grace"
    );
    assert!(keys.authenticate(&new_key).is_ok(), "new key works");
    // One successor per credential.
    let again = lifecycle::rotate_credential(s, &w.owner, &old.credential.id, None).await;
    assert!(
        matches!(again, Err(CredentialError::Conflict(_))),
        "{again:?}"
    );

    w.expire(&old.credential.id).await;
    keys.refresh().await.expect("refresh");
    assert!(matches!(
        keys.authenticate(&old_key),
        Err(AuthError::Expired)
    ));
    assert!(keys.authenticate(&new_key).is_ok());
    let listed = lifecycle::list_credentials(s, &w.owner, CredentialFilter::ServiceAccount("ci"))
        .await
        .expect("list");
    let status = |id: &str| listed.iter().find(|c| c.id == id).map(|c| c.status);
    assert_eq!(status(&old.credential.id), Some(CredentialStatus::Expired));
    assert_eq!(status(&new.id), Some(CredentialStatus::Active));
    let expired = lifecycle::rotate_credential(s, &w.owner, &old.credential.id, None).await;
    assert!(matches!(expired, Err(CredentialError::Conflict(_))));
}

async fn rotation_without_grace_revokes_the_old_key(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let old = w.issue_own(&w.member, "laptop").await;
    let keys = KeyCache::load(s.clone()).await.expect("cache");
    let rotation = lifecycle::rotate_credential(s, &w.member, &old.credential.id, None)
        .await
        .expect("rotate");
    assert_eq!(rotation.old.status, CredentialStatus::Revoked);
    let new = &rotation.new.credential;
    assert_eq!(new.expires_at, None, "no expiry stays no expiry");
    assert_eq!(new.team_id.as_deref(), Some("alpha"), "same team");
    keys.refresh().await.expect("refresh");
    assert!(matches!(
        keys.authenticate(&old.key.expose()),
        Err(AuthError::Revoked)
    ));
    assert!(keys.authenticate(&rotation.new.key.expose()).is_ok());
    let zero = lifecycle::rotate_credential(s, &w.member, &new.id, Some(Duration::zero()))
        .await
        .expect("zero grace");
    assert_eq!(zero.old.status, CredentialStatus::Revoked);
    let negative = lifecycle::rotate_credential(
        s,
        &w.member,
        &zero.new.credential.id,
        Some(-Duration::hours(1)),
    );
    assert!(matches!(negative.await, Err(CredentialError::Invalid(_))));
    let revoked = lifecycle::rotate_credential(s, &w.member, &old.credential.id, None).await;
    assert!(matches!(revoked, Err(CredentialError::Conflict(_))));
}

async fn grant_edits_are_validated_and_reach_the_key_cache(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let issued = w.issue_sa(&w.owner, "ci", "grants").await;
    let id = issued.credential.id.clone();
    let key = issued.key.expose();
    let keys = KeyCache::load(s.clone()).await.expect("cache");
    assert_eq!(
        keys.authenticate(&key).ok().map(|c| c.grants.clone()),
        Some(Grants::All)
    );

    let nope = Grants::Models(vec!["nope".into()]);
    match lifecycle::set_grants(s, &w.owner, &id, &nope).await {
        Err(e @ CredentialError::UnknownModel(_)) => {
            assert!(matches!(IdentityError::from(e), IdentityError::Invalid(_)));
        }
        other => panic!("unknown model: {other:?}"),
    }
    let empty = lifecycle::set_grants(s, &w.owner, &id, &Grants::Models(vec![])).await;
    assert!(
        matches!(empty, Err(CredentialError::EmptyGrants)),
        "{empty:?}"
    );
    let issue_unknown = lifecycle::issue_credential(
        s,
        &w.owner,
        &OwnerSpec::ServiceAccount("ci".into()),
        "bad",
        &Grants::Models(vec!["small".into(), "nope".into()]),
        None,
        None,
    )
    .await;
    assert!(matches!(
        issue_unknown,
        Err(CredentialError::UnknownModel(_))
    ));

    let small = Grants::Models(vec!["small".into(), " small ".into()]);
    let edited = lifecycle::set_grants(s, &w.team_admin, &id, &small)
        .await
        .expect("set grants");
    assert_eq!(edited.grants, Grants::Models(vec!["small".into()]));
    let json = serde_json::to_value(&edited).expect("json");
    assert_eq!(json["grants"], serde_json::json!(["small"]));
    keys.refresh().await.expect("refresh");
    let Ok(cached) = keys.authenticate(&key) else {
        panic!("the key no longer authenticates");
    };
    assert!(cached.grants.allows("small", "small"));
    assert!(!cached.grants.allows("large", "large"));

    let all = lifecycle::set_grants(s, &w.owner, &id, &Grants::All)
        .await
        .expect("all");
    assert_eq!(serde_json::to_value(&all).expect("json")["grants"], "all");
    lifecycle::revoke_credential(s, &w.owner, &id)
        .await
        .expect("revoke");
    let after = lifecycle::set_grants(s, &w.owner, &id, &Grants::All).await;
    assert!(matches!(after, Err(CredentialError::Conflict(_))));
}

async fn listings_never_contain_the_secret(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let sa = w.issue_sa(&w.owner, "ci", "svc").await;
    let own = w.issue_own(&w.member, "mine").await;
    for (actor, filter, issued) in [
        (&w.owner, CredentialFilter::ServiceAccount("ci"), &sa),
        (&w.owner, CredentialFilter::Team("alpha"), &sa),
        (&w.admin, CredentialFilter::All, &sa),
        (&w.admin, CredentialFilter::All, &own),
        (&w.member, CredentialFilter::Mine, &own),
    ] {
        let listed = lifecycle::list_credentials(s, actor, filter)
            .await
            .expect("list");
        let view = listed
            .iter()
            .find(|c| c.id == issued.credential.id)
            .expect("listed");
        let full = issued.key.expose();
        let secret = secret_part(&full);
        assert!(full.starts_with(&view.prefix), "{} vs {full}", view.prefix);
        assert!(secret.ends_with(&view.last4));
        let json = serde_json::to_string(&listed).expect("json");
        let debug = format!("{listed:?}");
        for shown in [&json, &debug] {
            assert!(!shown.contains(&secret), "{filter:?} shows the secret");
        }
        for field in [
            "name",
            "prefix",
            "last4",
            "grants",
            "created_at",
            "last_used_at",
        ] {
            assert!(
                json.contains(&format!("\"{field}\"")),
                "{field} missing: {json}"
            );
        }
        assert!(json.contains("\"expires_at\"") && json.contains("\"status\":\"active\""));
    }
    let shown = format!("{sa:?}");
    assert!(!shown.contains(&secret_part(&sa.key.expose())), "{shown}");
}

async fn every_change_writes_an_audit_row_without_secrets(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.store;
    let actor = &w.team_admin;
    service_accounts::create_service_account(s, actor, "alpha", "audited", "Audited")
        .await
        .expect("create");
    service_accounts::rename_service_account(s, actor, "audited", "Renamed")
        .await
        .expect("rename");
    service_accounts::deactivate_service_account(s, actor, "audited")
        .await
        .expect("deactivate");
    service_accounts::reactivate_service_account(s, actor, "audited")
        .await
        .expect("reactivate");
    let issued = w.issue_sa(actor, "audited", "key").await;
    let id = issued.credential.id.clone();
    lifecycle::set_grants(s, actor, &id, &Grants::Models(vec!["large".into()]))
        .await
        .expect("grants");
    let rotation = lifecycle::rotate_credential(s, actor, &id, Some(Duration::minutes(10)))
        .await
        .expect("rotate");
    let new_id = rotation.new.credential.id.clone();
    lifecycle::revoke_credential(s, actor, &new_id)
        .await
        .expect("revoke");
    // No-ops write nothing.
    lifecycle::revoke_credential(s, actor, &new_id)
        .await
        .expect("revoke again");
    service_accounts::rename_service_account(s, actor, "audited", "Renamed")
        .await
        .expect("same name");

    let rows = w.audit_actions().await;
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|(action, _, target, _)| (action.as_str(), target.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("service_account.created", "audited"),
            ("service_account.renamed", "audited"),
            ("service_account.deactivated", "audited"),
            ("service_account.reactivated", "audited"),
            ("credential.issued", id.as_str()),
            ("credential.grants_changed", id.as_str()),
            ("credential.issued", new_id.as_str()),
            ("credential.rotated", id.as_str()),
            ("credential.revoked", new_id.as_str()),
        ]
    );
    let secrets = [
        secret_part(&issued.key.expose()),
        secret_part(&rotation.new.key.expose()),
    ];
    for (action, by, _, details) in &rows {
        assert_eq!(by, &actor.user_id, "{action} attributed to the actor");
        for secret in &secrets {
            assert!(!details.contains(secret.as_str()), "{action}: {details}");
        }
    }
}
both_backends!(
    deactivating_a_service_account_stops_its_credentials_at_once,
    rotation_with_grace_keeps_the_old_key_until_the_grace_ends,
    rotation_without_grace_revokes_the_old_key,
    grant_edits_are_validated_and_reach_the_key_cache,
    listings_never_contain_the_secret,
    every_change_writes_an_audit_row_without_secrets,
);
