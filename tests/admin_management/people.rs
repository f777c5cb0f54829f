//! Teams, members and users over HTTP: the API's and the pages' permission checks, the role
//! rules (owners managed by owners, a team keeps an owner), the last platform admin (409), and
//! deactivation reaching `/v1` and the admin session at once.

use reqwest::Method;
use serde_json::json;

use super::world::{Api, MEMBER, OUTSIDER, OWNER, World};
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::{ADMIN_EMAIL, Browser};

async fn teams_and_members_follow_the_role_rules(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let created = admin
        .post("/teams", json!({"id": "gamma", "name": "Gamma"}))
        .await;
    assert_eq!(Api::expect(&created, 201)["id"], "gamma");
    admin
        .post("/teams", json!({"id": "gamma", "name": "Again"}))
        .await
        .assert_api_error(409, "conflict");
    admin
        .post("/teams", json!({"id": "Not A Slug", "name": "x"}))
        .await
        .assert_api_error(400, "invalid_request");
    let renamed = admin
        .call(
            Method::PATCH,
            "/teams/gamma",
            Some(json!({"name": "Gamma Ray"})),
        )
        .await;
    assert_eq!(Api::expect(&renamed, 200)["name"], "Gamma Ray");

    let mut owner = w.api(OWNER).await;
    owner
        .post("/teams", json!({"id": "mine", "name": "Mine"}))
        .await
        .assert_api_error(403, "forbidden");
    let seen = Api::expect(&owner.get("/teams").await, 200);
    assert_eq!(seen.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (seen[0]["id"].as_str(), seen[0]["my_role"].as_str()),
        (Some("alpha"), Some("owner"))
    );
    owner
        .get("/teams/beta/members")
        .await
        .assert_api_error(403, "forbidden");

    let members = Api::expect(&owner.get("/teams/alpha/members").await, 200);
    let emails: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [MEMBER, OWNER]);

    let member_id = w.user_id(MEMBER).await;
    let owner_id = w.user_id(OWNER).await;
    let promote = owner
        .call(
            Method::PUT,
            &format!("/teams/alpha/members/{member_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promote.status, 204, "{}", promote.text);

    // The owner of beta cannot touch alpha; alpha's new admin cannot make themselves owner.
    let mut outsider = w.api(OUTSIDER).await;
    outsider
        .call(
            Method::PUT,
            &format!("/teams/alpha/members/{member_id}"),
            Some(json!({"role": "member"})),
        )
        .await
        .assert_api_error(403, "forbidden");
    outsider
        .post(
            "/teams/alpha/members",
            json!({"user": OUTSIDER, "role": "member"}),
        )
        .await
        .assert_api_error(403, "forbidden");
    let mut member = w.api(MEMBER).await;
    member
        .call(
            Method::PUT,
            &format!("/teams/alpha/members/{member_id}"),
            Some(json!({"role": "owner"})),
        )
        .await
        .assert_api_error(403, "forbidden");
    // The last owner stays.
    owner
        .call(
            Method::PUT,
            &format!("/teams/alpha/members/{owner_id}"),
            Some(json!({"role": "member"})),
        )
        .await
        .assert_api_error(409, "conflict");
    let added = owner
        .post(
            "/teams/alpha/members",
            json!({"user": OUTSIDER, "role": "member"}),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.text);
    owner
        .post(
            "/teams/alpha/members",
            json!({"user": OUTSIDER, "role": "member"}),
        )
        .await
        .assert_api_error(409, "conflict");
    let outsider_id = w.user_id(OUTSIDER).await;
    let removed = owner
        .call(
            Method::DELETE,
            &format!("/teams/alpha/members/{outsider_id}"),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
}

async fn the_last_platform_admin_cannot_be_removed_and_says_why(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let admin_id = w.user_id(ADMIN_EMAIL).await;
    let demote = admin
        .call(
            Method::PUT,
            &format!("/users/{admin_id}/platform-admin"),
            Some(json!({"platform_admin": false})),
        )
        .await;
    demote.assert_api_error(409, "conflict");
    assert!(
        demote.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("last active platform admin")
    );
    admin
        .post(&format!("/users/{admin_id}/deactivate"), json!({}))
        .await
        .assert_api_error(409, "conflict");

    // The page says the same, with the same status.
    let mut page =
        Browser::signed_in(&w.server, ADMIN_EMAIL, crate::common::admin::ADMIN_PASSWORD).await;
    let csrf = page.page_csrf("/admin/users").await;
    let refused = page
        .post_form(
            &format!("/admin/users/{admin_id}/platform-admin"),
            &[("csrf", &csrf), ("grant", "false")],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused
            .alert()
            .unwrap()
            .contains("last active platform admin")
    );

    // With a second admin, it works.
    let owner_id = w.user_id(OWNER).await;
    page.post_form(
        &format!("/admin/users/{owner_id}/platform-admin"),
        &[("csrf", &csrf), ("grant", "true")],
    )
    .await
    .assert_redirect("/admin/users?notice=admin-granted");
    let ok = admin
        .call(
            Method::PUT,
            &format!("/users/{admin_id}/platform-admin"),
            Some(json!({"platform_admin": false})),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
}

async fn deactivating_a_user_ends_their_keys_and_sessions_at_once(backend: Backend) {
    let w = World::new(backend).await;
    let mut member = w.api(MEMBER).await;
    let mine = Api::expect(
        &member.post("/me/credentials", json!({"name": "k"})).await,
        201,
    );
    let key = mine["key"].as_str().unwrap().to_string();
    assert_eq!(w.chat(&key, "small").await.status, 200);

    let mut owner = w.api(OWNER).await;
    owner.get("/users").await.assert_api_error(403, "forbidden");
    let member_id = w.user_id(MEMBER).await;
    owner
        .post(&format!("/users/{member_id}/deactivate"), json!({}))
        .await
        .assert_api_error(403, "forbidden");
    let mut owner_page = Browser::signed_in(&w.server, OWNER, super::world::PASSWORD).await;
    assert_eq!(owner_page.get("/admin/users").await.status, 403);

    let mut admin = w.admin().await;
    let done = Api::expect(
        &admin
            .post(&format!("/users/{member_id}/deactivate"), json!({}))
            .await,
        200,
    );
    assert_eq!(done["credentials_revoked"], 1);
    assert!(done["sessions_ended"].as_u64().unwrap() >= 1);
    assert_eq!(w.chat(&key, "small").await.status, 401);
    member
        .get("/me")
        .await
        .assert_api_error(401, "unauthenticated");

    let back = Api::expect(
        &admin
            .post(&format!("/users/{member_id}/reactivate"), json!({}))
            .await,
        200,
    );
    assert_eq!(back["status"], "active");
    w.chat(&key, "small")
        .await
        .assert_error(401, "api_key_revoked");
}

async fn teams_are_managed_through_the_pages(backend: Backend) {
    let w = World::new(backend).await;
    let mut b =
        Browser::signed_in(&w.server, ADMIN_EMAIL, crate::common::admin::ADMIN_PASSWORD).await;
    let csrf = b.page_csrf("/admin/teams").await;
    b.post_form(
        "/admin/teams",
        &[("csrf", &csrf), ("id", "delta"), ("name", "Delta")],
    )
    .await
    .assert_redirect("/admin/teams/delta?notice=created");
    let dup = b
        .post_form(
            "/admin/teams",
            &[("csrf", &csrf), ("id", "delta"), ("name", "Delta")],
        )
        .await;
    assert_eq!(dup.status, 409);
    assert!(dup.alert().unwrap().contains("already exists"));

    let invited = b
        .post_form(
            "/admin/teams/delta/invite",
            &[
                ("csrf", &csrf),
                ("email", "lead@example.com"),
                ("name", "Lead"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    assert!(
        invited.text.contains("/admin/invite/")
            && invited.text.contains("data-copy=\"invite-link\"")
    );
    let team = b.get("/admin/teams/delta").await;
    assert!(team.text.contains("lead@example.com") && team.text.contains("invited"));

    let lead = w.user_id("lead@example.com").await;
    let last_owner = b
        .post_form(
            &format!("/admin/teams/delta/members/{lead}/role"),
            &[("csrf", &csrf), ("role", "admin")],
        )
        .await;
    assert_eq!(last_owner.status, 409, "a team keeps its last owner");
    assert!(last_owner.alert().is_some());
    b.post_form(
        "/admin/teams/delta/members",
        &[("csrf", &csrf), ("user", OWNER), ("role", "member")],
    )
    .await
    .assert_redirect("/admin/teams/delta?notice=added");
    let owner = w.user_id(OWNER).await;
    b.post_form(
        &format!("/admin/teams/delta/members/{owner}/role"),
        &[("csrf", &csrf), ("role", "admin")],
    )
    .await
    .assert_redirect("/admin/teams/delta?notice=role");
    b.post_form(
        &format!("/admin/teams/delta/members/{owner}/remove"),
        &[("csrf", &csrf)],
    )
    .await
    .assert_redirect("/admin/teams/delta?notice=removed");
    let listed = b.get("/admin/teams").await;
    assert!(listed.text.contains("Delta"));

    // A member sees their team, read-only.
    let mut m = Browser::signed_in(&w.server, MEMBER, super::world::PASSWORD).await;
    let alpha = m.get("/admin/teams/alpha").await;
    assert_eq!(alpha.status, 200);
    assert!(!alpha.text.contains("Invite someone new"));
    assert_eq!(m.get("/admin/teams/delta").await.status, 403);
    let csrf = m.page_csrf("/admin/teams").await;
    let refused = m
        .post_form(
            "/admin/teams/alpha/invite",
            &[
                ("csrf", &csrf),
                ("email", "x@example.com"),
                ("name", "X"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
}

both_backends!(
    teams_and_members_follow_the_role_rules,
    the_last_platform_admin_cannot_be_removed_and_says_why,
    deactivating_a_user_ends_their_keys_and_sessions_at_once,
    teams_are_managed_through_the_pages,
);
