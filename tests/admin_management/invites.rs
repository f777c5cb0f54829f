//! Invites and onboarding: `/admin/invite/{token}` shows who the link is for, accepting it
//! (pre-session CSRF, password policy inline) signs the new user in, and the link works once;
//! expired or replaced links answer 410, unknown ones 404; config-seeded users get their first
//! link from "resend"; revoking ends the open link.

use reqwest::Method;
use serde_json::json;

use super::world::{Api, MEMBER, SEEDED, World, token_of};
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::{Browser, shifted};

const NEW_PASSWORD: &str = "Brand-New-Passphrase-77";

async fn an_accepted_invite_signs_the_user_in_and_works_only_once(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let invite = admin
        .post(
            "/invites",
            json!({"email": "new@example.com", "name": "Newcomer", "team": "alpha", "role": "member"}),
        )
        .await;
    let invite = Api::expect(&invite, 201);
    let token = token_of(invite["link"].as_str().unwrap());
    let listed = Api::expect(&admin.get("/users").await, 200);
    let new = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "new@example.com")
        .expect("the invited user is listed");
    assert_eq!(new["status"], "invited");

    let path = format!("/admin/invite/{token}");
    let mut b = Browser::new(&w.server);
    let page = b.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Newcomer") && page.text.contains("new@example.com"));
    let csrf = page.hidden("csrf").expect("csrf field");
    assert_eq!(b.cookie("gw_pre").as_deref(), Some(csrf.as_str()));

    let no_csrf = b
        .post_form(
            &path,
            &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.text);
    let mismatch = b
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("password", NEW_PASSWORD),
                ("confirm", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400);
    assert!(mismatch.alert().unwrap().contains("does not match"));
    let weak = b
        .post_form(
            &path,
            &[("csrf", &csrf), ("password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.alert().unwrap().contains("12"), "{:?}", weak.alert());

    let accepted = b
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    accepted.assert_redirect("/admin");
    assert!(b.cookie("gw_session").is_some(), "signed in");
    assert_eq!(b.get("/admin").await.status, 200);
    let me = b.api(Method::GET, "/api/v1/admin/me", None, None).await;
    let me = me.json();
    assert_eq!(me["email"], "new@example.com");
    assert_eq!(me["teams"], json!([{"team": "alpha", "role": "member"}]));
    // And the password works for the next sign-in.
    Browser::signed_in(&w.server, "new@example.com", NEW_PASSWORD).await;

    // Single use.
    let mut other = Browser::new(&w.server);
    let again = other.get(&path).await;
    assert_eq!(again.status, 410, "{}", again.text);
    assert!(again.text.contains("already been used"));
    let pre = other.cookie("gw_pre").unwrap_or_else(|| "f".repeat(64));
    other.cookies.insert("gw_pre".into(), pre.clone());
    let replay = other
        .post_form(
            &path,
            &[
                ("csrf", &pre),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(replay.status, 410, "{}", replay.text);
    assert!(other.cookie("gw_session").is_none());
    assert_eq!(
        other
            .get(&format!("/admin/invite/{}", "0".repeat(64)))
            .await
            .status,
        404
    );
}

async fn invite_links_expire_and_resending_replaces_them(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    // A config-seeded user is invited without a link: "resend" gives them their first.
    let seeded = w.user_id(SEEDED).await;
    let first = Api::expect(
        &admin
            .post(&format!("/users/{seeded}/invite"), json!({}))
            .await,
        200,
    );
    let first = token_of(first["link"].as_str().unwrap());
    let mut b = Browser::new(&w.server);
    assert_eq!(b.get(&format!("/admin/invite/{first}")).await.status, 200);

    w.db.exec(&format!(
        "UPDATE invites SET expires_at = {} WHERE user_id = '{seeded}'",
        shifted(&w.db, "expires_at", 8 * 86_400)
    ))
    .await;
    let expired = b.get(&format!("/admin/invite/{first}")).await;
    assert_eq!(expired.status, 410);
    assert!(expired.text.contains("expired"), "{}", expired.text);

    let second = Api::expect(
        &admin
            .post(&format!("/users/{seeded}/invite"), json!({}))
            .await,
        200,
    );
    let second = token_of(second["link"].as_str().unwrap());
    assert_eq!(b.get(&format!("/admin/invite/{second}")).await.status, 200);
    let third = Api::expect(
        &admin
            .post(&format!("/users/{seeded}/invite"), json!({}))
            .await,
        200,
    );
    let third = token_of(third["link"].as_str().unwrap());
    let replaced = b.get(&format!("/admin/invite/{second}")).await;
    assert_eq!(replaced.status, 410, "resending revokes the previous link");
    assert!(replaced.text.contains("revoked"));

    let revoked = admin
        .call(Method::DELETE, &format!("/users/{seeded}/invite"), None)
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_eq!(b.get(&format!("/admin/invite/{third}")).await.status, 410);
    admin
        .call(Method::DELETE, &format!("/users/{seeded}/invite"), None)
        .await
        .assert_api_error(404, "not_found");
    // Active users are not invited.
    let member = w.user_id(MEMBER).await;
    admin
        .post(&format!("/users/{member}/invite"), json!({}))
        .await
        .assert_api_error(409, "conflict");
}

both_backends!(
    an_accepted_invite_signs_the_user_in_and_works_only_once,
    invite_links_expire_and_resending_replaces_them,
);
