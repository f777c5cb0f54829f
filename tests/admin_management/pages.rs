//! The management pages' forms, as a browser posts them (session CSRF token in a hidden
//! field): create a service account, issue a credential (the key is shown once), edit grants,
//! rotate, revoke; personal credentials; budgets.

use serde_json::json;

use super::world::{Api, MEMBER, PASSWORD, World};
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page};

/// The key on a "shown once" page.
fn shown_key(page: &Page) -> String {
    assert_eq!(page.status, 200, "{}", page.text);
    let marker = "id=\"new-key\">";
    let start = page.text.find(marker).expect("a key on the page") + marker.len();
    let end = start + page.text[start..].find('<').expect("end of key");
    page.text[start..end].trim().to_string()
}

async fn post_pairs(b: &mut Browser, path: &str, fields: Vec<(&str, String)>) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, &refs).await
}

/// The first `/admin/credentials/<id>` link on a page.
fn credential_link(page: &Page) -> String {
    let marker = "href=\"/admin/credentials/";
    let start = page.text.find(marker).expect("a credential link") + marker.len();
    let end = start + page.text[start..].find('"').expect("end of link");
    page.text[start..end].to_string()
}

async fn service_accounts_and_credentials_are_managed_through_the_pages(backend: Backend) {
    let w = World::new(backend).await;
    let mut b = Browser::signed_in(&w.server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let csrf = b.page_csrf("/admin/service-accounts").await;

    let bad = b
        .post_form(
            "/admin/service-accounts",
            &[
                ("csrf", &csrf),
                ("team", "alpha"),
                ("id", "Web Bot"),
                ("name", "Web"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(
        bad.alert().unwrap().contains("service account id"),
        "{:?}",
        bad.alert()
    );
    assert!(
        bad.text.contains("value=\"Web Bot\""),
        "the form keeps what was typed"
    );

    b.post_form(
        "/admin/service-accounts",
        &[
            ("csrf", &csrf),
            ("team", "alpha"),
            ("id", "web-bot"),
            ("name", "Web"),
        ],
    )
    .await
    .assert_redirect("/admin/service-accounts/web-bot?notice=created");
    let detail = b
        .get("/admin/service-accounts/web-bot?notice=created")
        .await;
    assert_eq!(detail.status, 200);
    assert!(detail.text.contains("No credentials yet"));

    let issued = b
        .post_form(
            "/admin/service-accounts/web-bot/credentials",
            &[
                ("csrf", &csrf),
                ("name", "site"),
                ("expires_days", "90"),
                ("grants", "all"),
            ],
        )
        .await;
    let key = shown_key(&issued);
    assert!(key.starts_with("gw_"));
    assert_eq!(issued.header("cache-control"), Some("no-store"));
    assert!(
        issued.text.contains("data-copy=\"new-key\""),
        "a copy button"
    );
    assert_eq!(w.chat(&key, "small").await.status, 200);

    let listed = b.get("/admin/service-accounts/web-bot").await;
    let secret = key.rsplit('_').next().unwrap();
    assert!(listed.text.contains("site") && !listed.text.contains(secret));
    let id = credential_link(&listed);

    // Grants: only `small`.
    b.post_form(
        &format!("/admin/credentials/{id}/grants"),
        &[("csrf", &csrf), ("grants", "some"), ("model", "small")],
    )
    .await
    .assert_redirect(&format!("/admin/credentials/{id}?notice=grants"));
    w.chat(&key, "large")
        .await
        .assert_error(403, "model_not_allowed");
    let none = b
        .post_form(
            &format!("/admin/credentials/{id}/grants"),
            &[("csrf", &csrf), ("grants", "some")],
        )
        .await;
    assert_eq!(none.status, 400);
    assert!(none.alert().unwrap().contains("grant at least one model"));

    // Rotate with a grace period: both keys work; the page says until when.
    let rotated = b
        .post_form(
            &format!("/admin/credentials/{id}/rotate"),
            &[("csrf", &csrf), ("grace", "1h")],
        )
        .await;
    let new_key = shown_key(&rotated);
    assert!(
        rotated.text.contains("keeps working until"),
        "{}",
        rotated.text
    );
    assert_eq!(w.chat(&key, "small").await.status, 200);
    assert_eq!(w.chat(&new_key, "small").await.status, 200);
    w.chat(&new_key, "large")
        .await
        .assert_error(403, "model_not_allowed");

    // Revoke the new one from the list: 401 at once.
    let listed = b.get("/admin/service-accounts/web-bot").await;
    let newest = credential_link(&listed);
    assert_ne!(newest, id, "newest first");
    b.post_form(
        &format!("/admin/credentials/{newest}/revoke"),
        &[("csrf", &csrf)],
    )
    .await
    .assert_redirect("/admin/service-accounts/web-bot?notice=revoked");
    w.chat(&new_key, "small")
        .await
        .assert_error(401, "api_key_revoked");

    // Deactivate from the page.
    b.post_form(
        "/admin/service-accounts/web-bot/deactivate",
        &[("csrf", &csrf)],
    )
    .await
    .assert_redirect("/admin/service-accounts/web-bot?notice=deactivated");
    w.chat(&key, "small")
        .await
        .assert_error(401, "api_key_owner_disabled");
}

async fn members_get_personal_keys_from_their_page_and_no_service_accounts(backend: Backend) {
    let w = World::new(backend).await;
    let mut b = Browser::signed_in(&w.server, MEMBER, PASSWORD).await;
    let page = b.get("/admin/my/credentials").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let csrf = page.hidden("csrf").unwrap();
    let issued = b
        .post_form(
            "/admin/my/credentials",
            &[
                ("csrf", &csrf),
                ("name", "laptop"),
                ("grants", "all"),
                ("expires_days", "never"),
            ],
        )
        .await;
    let key = shown_key(&issued);
    assert_eq!(w.chat(&key, "small").await.status, 200);
    let mine = b.get("/admin/my/credentials").await;
    assert!(mine.text.contains("laptop") && !mine.text.contains(&key));

    let sas = b.get("/admin/service-accounts").await;
    assert_eq!(sas.status, 200);
    assert!(
        sas.text.contains("You do not manage a team"),
        "{}",
        sas.text
    );
    assert!(!sas.text.contains("Create a service account"));
    let refused = b
        .post_form(
            "/admin/service-accounts",
            &[
                ("csrf", &csrf),
                ("team", "alpha"),
                ("id", "mine"),
                ("name", "Mine"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

async fn budgets_are_created_edited_and_deleted_through_the_pages(backend: Backend) {
    let w = World::new(backend).await;
    let mut api = w.admin().await;
    api.service_account("alpha", "paged").await;
    let (key, _) = api.issue("paged", json!({"name": "k"})).await;

    let mut b = Browser::signed_in(&w.server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let list = b.get("/admin/budgets").await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("No budgets"));
    assert!(
        list.text.contains("value=\"team:alpha\""),
        "scopes to choose from"
    );
    let csrf = list.hidden("csrf").unwrap();
    let form = |amount: &'static str, tz: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("scope", "team:alpha".to_string()),
            ("id", String::new()),
            ("cadence", "daily".to_string()),
            ("timezone", tz.to_string()),
            ("amount_usd", amount.to_string()),
            ("limit", "hard".to_string()),
        ]
    };
    let bad = post_pairs(&mut b, "/admin/budgets", form("1", "Nowhere/City")).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.alert().unwrap().starts_with("timezone"),
        "{:?}",
        bad.alert()
    );
    post_pairs(&mut b, "/admin/budgets", form("0.000001", "UTC"))
        .await
        .assert_redirect("/admin/budgets?notice=created");
    w.chat(&key, "small")
        .await
        .assert_error(429, "budget_exceeded");
    let listed = b.get("/admin/budgets?notice=created").await;
    assert!(listed.text.contains("alpha-daily") && listed.text.contains("<meter"));
    assert!(listed.text.contains("badge bad\">hard"));

    post_pairs(&mut b, "/admin/budgets/alpha-daily", form("10", "UTC"))
        .await
        .assert_redirect("/admin/budgets/alpha-daily?notice=saved");
    assert_eq!(w.chat(&key, "small").await.status, 200);
    let edit = b.get("/admin/budgets/alpha-daily").await;
    assert!(edit.text.contains("value=\"10.00\""), "{}", edit.text);

    b.post_form("/admin/budgets/alpha-daily/delete", &[("csrf", &csrf)])
        .await
        .assert_redirect("/admin/budgets?notice=deleted");
    assert_eq!(b.get("/admin/budgets/alpha-daily").await.status, 404);
    let _ = Api::expect(&api.get("/budgets").await, 200);
}

both_backends!(
    service_accounts_and_credentials_are_managed_through_the_pages,
    members_get_personal_keys_from_their_page_and_no_service_accounts,
    budgets_are_created_edited_and_deleted_through_the_pages,
);
