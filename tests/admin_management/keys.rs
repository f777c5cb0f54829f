//! Service accounts and credentials through `/api/v1/admin/*`: a key issued here works on
//! `/v1` at once and stops at once when revoked, rotated without grace or its account
//! deactivated; rotation with grace keeps the old key; grant edits answer 403 on `/v1`;
//! secrets appear once; and the permission matrix holds over HTTP.

use reqwest::Method;
use serde_json::json;

use super::world::{Api, MEMBER, OUTSIDER, OWNER, World};
use crate::both_backends;
use crate::common::Backend;

async fn an_issued_key_works_on_v1_at_once_and_fails_at_once_when_revoked(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let sa = admin.service_account("alpha", "deploy-bot").await;
    assert_eq!(sa["team_id"], "alpha");
    assert_eq!(sa["status"], "active");

    let (key, id) = admin.issue("deploy-bot", json!({"name": "prod"})).await;
    assert!(key.starts_with("gw_"), "{key}");
    // No polling: the replica that issued the key refreshed its cache before answering.
    let ok = w.chat(&key, "small").await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    let listed = admin.get("/service-accounts/deploy-bot/credentials").await;
    let listed = Api::expect(&listed, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["grants"], "all");
    assert_eq!(listed[0]["status"], "active");
    let secret = key.rsplit('_').next().unwrap();
    assert!(
        !listed.to_string().contains(secret),
        "a listing must never hold the secret"
    );
    assert_eq!(
        listed[0]["last4"].as_str(),
        Some(&key[key.len() - 4..]),
        "last4 lets people recognise the key"
    );

    let revoked = admin
        .post(&format!("/credentials/{id}/revoke"), json!({}))
        .await;
    assert_eq!(Api::expect(&revoked, 200)["status"], "revoked");
    w.chat(&key, "small")
        .await
        .assert_error(401, "api_key_revoked");
    // Revoking again is harmless.
    let again = admin
        .post(&format!("/credentials/{id}/revoke"), json!({}))
        .await;
    Api::expect(&again, 200);
}

async fn rotation_with_grace_keeps_the_old_key_and_without_grace_ends_it(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.service_account("alpha", "worker").await;
    let (old_key, old_id) = admin.issue("worker", json!({"name": "jobs"})).await;

    let rotated = admin
        .post(
            &format!("/credentials/{old_id}/rotate"),
            json!({"grace_seconds": 3600}),
        )
        .await;
    let rotated = Api::expect(&rotated, 200);
    assert_eq!(rotated["old"]["status"], "rotating");
    assert_eq!(rotated["credential"]["name"], "jobs");
    let new_key = rotated["key"].as_str().unwrap().to_string();
    let new_id = rotated["credential"]["id"].as_str().unwrap().to_string();
    assert_ne!(new_key, old_key);
    assert_eq!(
        w.chat(&old_key, "small").await.status,
        200,
        "grace keeps it"
    );
    assert_eq!(w.chat(&new_key, "small").await.status, 200);

    // The old one was already rotated: rotate its replacement instead.
    let twice = admin
        .post(&format!("/credentials/{old_id}/rotate"), json!({}))
        .await;
    twice.assert_api_error(409, "conflict");
    let too_long = admin
        .post(
            &format!("/credentials/{new_id}/rotate"),
            json!({"grace_seconds": 86400 * 31}),
        )
        .await;
    too_long.assert_api_error(400, "invalid_request");

    let no_grace = admin
        .post(&format!("/credentials/{new_id}/rotate"), json!({}))
        .await;
    let no_grace = Api::expect(&no_grace, 200);
    assert_eq!(no_grace["old"]["status"], "revoked");
    w.chat(&new_key, "small")
        .await
        .assert_error(401, "api_key_revoked");
    let newest = no_grace["key"].as_str().unwrap();
    assert_eq!(w.chat(newest, "small").await.status, 200);
}

async fn narrowed_grants_answer_403_on_v1_for_other_models(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.service_account("alpha", "narrow").await;
    let (key, id) = admin.issue("narrow", json!({"name": "n"})).await;
    assert_eq!(w.chat(&key, "large").await.status, 200);

    let path = format!("/credentials/{id}/grants");
    let set = admin
        .call(Method::PUT, &path, Some(json!({"grants": ["small"]})))
        .await;
    assert_eq!(Api::expect(&set, 200)["grants"], json!(["small"]));
    w.chat(&key, "large")
        .await
        .assert_error(403, "model_not_allowed");
    assert_eq!(w.chat(&key, "small").await.status, 200);

    for (bad, code) in [
        (json!({"grants": ["nope"]}), "invalid_request"),
        (json!({"grants": []}), "invalid_request"),
        (json!({"grants": "some"}), "invalid_request"),
    ] {
        admin
            .call(Method::PUT, &path, Some(bad))
            .await
            .assert_api_error(400, code);
    }
    let all = admin
        .call(Method::PUT, &path, Some(json!({"grants": "all"})))
        .await;
    assert_eq!(Api::expect(&all, 200)["grants"], "all");
    assert_eq!(w.chat(&key, "large").await.status, 200);

    // Issuing with grants works the same way.
    let (only_large, _) = admin
        .issue("narrow", json!({"name": "l", "grants": ["large"]}))
        .await;
    w.chat(&only_large, "small")
        .await
        .assert_error(403, "model_not_allowed");
}

async fn deactivating_a_service_account_stops_its_keys_at_once(backend: Backend) {
    let w = World::new(backend).await;
    let mut owner = w.api(OWNER).await;
    owner.service_account("alpha", "nightly").await;
    let (key, _) = owner.issue("nightly", json!({"name": "cron"})).await;
    assert_eq!(w.chat(&key, "small").await.status, 200);

    let off = owner
        .post("/service-accounts/nightly/deactivate", json!({}))
        .await;
    assert_eq!(Api::expect(&off, 200)["status"], "disabled");
    w.chat(&key, "small")
        .await
        .assert_error(401, "api_key_owner_disabled");
    owner
        .post(
            "/service-accounts/nightly/credentials",
            json!({"name": "x"}),
        )
        .await
        .assert_api_error(409, "conflict");

    let on = owner
        .post("/service-accounts/nightly/reactivate", json!({}))
        .await;
    assert_eq!(Api::expect(&on, 200)["status"], "active");
    assert_eq!(w.chat(&key, "small").await.status, 200);

    let renamed = owner
        .call(
            Method::PATCH,
            "/service-accounts/nightly",
            Some(json!({"name": "Nightly batch"})),
        )
        .await;
    assert_eq!(Api::expect(&renamed, 200)["name"], "Nightly batch");
    assert_eq!(
        w.chat(&key, "small").await.status,
        200,
        "renaming keeps keys"
    );
}

async fn a_team_owner_cannot_manage_another_team_and_a_member_cannot_manage_service_accounts(
    backend: Backend,
) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.service_account("alpha", "shared").await;
    let (_, alpha_cred) = admin.issue("shared", json!({"name": "a"})).await;
    let (_, beta_cred) = admin.issue("etl", json!({"name": "b"})).await;

    // The owner of beta, on alpha's things.
    let mut outsider = w.api(OUTSIDER).await;
    outsider
        .service_account_attempt("alpha", "sneaky")
        .await
        .assert_api_error(403, "forbidden");
    for path in [
        "/service-accounts/shared".to_string(),
        "/service-accounts/shared/credentials".to_string(),
        format!("/credentials/{alpha_cred}"),
        "/service-accounts?team=alpha".to_string(),
    ] {
        outsider.get(&path).await.assert_api_error(403, "forbidden");
    }
    for path in [
        format!("/credentials/{alpha_cred}/revoke"),
        format!("/credentials/{alpha_cred}/rotate"),
        "/service-accounts/shared/deactivate".to_string(),
        "/service-accounts/shared/credentials".to_string(),
    ] {
        outsider
            .post(&path, json!({"name": "x"}))
            .await
            .assert_api_error(403, "forbidden");
    }
    // …while their own team works, and lists show only it.
    let theirs = outsider.get("/service-accounts").await;
    let theirs = Api::expect(&theirs, 200);
    let ids: Vec<&str> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["etl"]);
    Api::expect(
        &outsider.get(&format!("/credentials/{beta_cred}")).await,
        200,
    );

    // A member of alpha manages no service accounts, not even their own team's.
    let mut member = w.api(MEMBER).await;
    member
        .service_account_attempt("alpha", "mine")
        .await
        .assert_api_error(403, "forbidden");
    let none = member.get("/service-accounts").await;
    assert_eq!(Api::expect(&none, 200), json!([]));
    member
        .post("/service-accounts/shared/credentials", json!({"name": "m"}))
        .await
        .assert_api_error(403, "forbidden");
    member
        .post(&format!("/credentials/{alpha_cred}/revoke"), json!({}))
        .await
        .assert_api_error(403, "forbidden");

    // …but their own personal credentials, yes.
    let mine = member
        .post(
            "/me/credentials",
            json!({"name": "laptop", "grants": ["small"]}),
        )
        .await;
    let mine = Api::expect(&mine, 201);
    assert_eq!(mine["credential"]["owner_kind"], "user");
    assert_eq!(mine["credential"]["team_id"], "alpha");
    let key = mine["key"].as_str().unwrap();
    assert_eq!(w.chat(key, "small").await.status, 200);
    let listed = Api::expect(&member.get("/me/credentials").await, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let id = mine["credential"]["id"].as_str().unwrap();
    // The owner of the member's team does not manage the member's personal keys.
    let mut owner = w.api(OWNER).await;
    owner
        .post(&format!("/credentials/{id}/revoke"), json!({}))
        .await
        .assert_api_error(403, "forbidden");
    let revoked = member
        .post(&format!("/credentials/{id}/revoke"), json!({}))
        .await;
    Api::expect(&revoked, 200);
    w.chat(key, "small")
        .await
        .assert_error(401, "api_key_revoked");
}

async fn the_openapi_document_describes_the_management_endpoints(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let doc = Api::expect(&admin.browser.get("/api/v1/admin/openapi.json").await, 200);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/admin/service-accounts", "post"),
        ("/api/v1/admin/service-accounts/{id}", "patch"),
        ("/api/v1/admin/service-accounts/{id}/credentials", "post"),
        ("/api/v1/admin/credentials/{id}/revoke", "post"),
        ("/api/v1/admin/credentials/{id}/rotate", "post"),
        ("/api/v1/admin/credentials/{id}/grants", "put"),
        ("/api/v1/admin/me/credentials", "get"),
        ("/api/v1/admin/budgets", "post"),
        ("/api/v1/admin/budgets/{id}", "delete"),
        ("/api/v1/admin/teams", "post"),
        ("/api/v1/admin/teams/{id}/members", "get"),
        ("/api/v1/admin/teams/{id}/members/{user_id}", "put"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users/{id}/deactivate", "post"),
        ("/api/v1/admin/users/{id}/platform-admin", "put"),
        ("/api/v1/admin/users/{id}/invite", "post"),
        ("/api/v1/admin/invites", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
}

impl Api {
    async fn service_account_attempt(
        &mut self,
        team: &str,
        id: &str,
    ) -> crate::common::admin::Page {
        self.post(
            "/service-accounts",
            json!({"team": team, "id": id, "name": id}),
        )
        .await
    }
}

both_backends!(
    an_issued_key_works_on_v1_at_once_and_fails_at_once_when_revoked,
    rotation_with_grace_keeps_the_old_key_and_without_grace_ends_it,
    narrowed_grants_answer_403_on_v1_for_other_models,
    deactivating_a_service_account_stops_its_keys_at_once,
    a_team_owner_cannot_manage_another_team_and_a_member_cannot_manage_service_accounts,
    the_openapi_document_describes_the_management_endpoints,
);
