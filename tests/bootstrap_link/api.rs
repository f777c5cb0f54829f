//! `POST /api/v1/bootstrap`: the first admin and a control-plane token, shown once; then the
//! link is gone for good, and while it is closed both routes answer the same 404.

use serde_json::json;

use super::support::{API, FORM, NO_ADMIN, STRONG, armed, count, me_with, post_api, redeem};
use crate::both_backends;
use crate::common::admin::{Browser, audit_rows};
use crate::common::{Backend, Gateway, TestDb};

async fn the_api_creates_the_first_admin_and_a_control_plane_token_shown_once(backend: Backend) {
    let a = armed(backend).await;
    let page = post_api(&a.server, "127.0.0.1", &json!({"token": a.token})).await;
    assert_eq!(page.status, 201, "{}", page.text);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let body = page.json();
    assert_eq!(body["email"], "admin@local");
    assert_eq!(body["name"], "Administrator");
    assert_eq!(body["generated"], json!({"email": true, "password": true}));
    let password = body["password"].as_str().expect("generated password");
    assert!(password.len() >= 12, "{password}");
    let token = body["control_plane_token"].as_str().expect("token");
    assert!(token.starts_with("gwa_"), "{token}");
    assert_eq!(body["token_file_deleted"], true);
    assert_eq!(
        body["token_file"].as_str(),
        a.token_path.to_str(),
        "the answer names the file"
    );
    assert!(!a.token_path.exists(), "the token file was not deleted");

    // The token works on the admin API as that admin; the password signs in.
    let me = me_with(&a.server, token).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["platform_admin"], true);
    assert_eq!(me.json()["email"], "admin@local");
    Browser::signed_in(&a.server, "admin@local", password).await;

    let row =
        a.db.rows(
            "SELECT status, CAST(platform_admin AS INTEGER), \
             CAST(must_change_password AS INTEGER), origin FROM users",
        )
        .await;
    assert_eq!(row, vec![vec!["active", "1", "0", "bootstrap"]]);
    assert_eq!(count(&a.db, "admin_tokens").await, 1);
    assert_eq!(
        a.db.scalar("SELECT method FROM bootstrap_latch WHERE bootstrapped_at IS NOT NULL")
            .await,
        "link"
    );
    let audit = audit_rows(&a.db, "bootstrap_link.succeeded").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    let (actor, details, addr) = &audit[0];
    assert_eq!(actor, "system:bootstrap-link");
    assert_eq!(addr, "127.0.0.1");
    assert_eq!(details["generated_password"], true);
    let details = details.to_string();
    for secret in [a.token.as_str(), password, token] {
        assert!(!details.contains(secret), "a secret in the audit log");
    }
}

async fn a_chosen_email_name_and_password_are_kept_and_no_password_is_returned(backend: Backend) {
    let a = armed(backend).await;
    let body =
        json!({"token": a.token, "email": "Ops@Example.com", "name": "Ops", "password": STRONG});
    let page = post_api(&a.server, "127.0.0.1", &body).await;
    assert_eq!(page.status, 201, "{}", page.text);
    let body = page.json();
    assert_eq!(body["email"], "ops@example.com");
    assert_eq!(body["name"], "Ops");
    assert_eq!(
        body["generated"],
        json!({"email": false, "password": false})
    );
    assert!(body.get("password").is_none(), "{body}");
    Browser::signed_in(&a.server, "ops@example.com", STRONG).await;
}

/// Every way of reaching a closed link: the form, its POST with a valid CSRF pair, the API
/// with the right token, and other methods. Returns (status, body) of each.
async fn knock(server: &crate::common::Server, token: &str, csrf: &str) -> Vec<(u16, String)> {
    let mut b = Browser::new(server);
    b.cookies.insert("gw_pre".into(), csrf.into());
    let mut out = Vec::new();
    for _ in 0..2 {
        let page = b.get(FORM).await;
        out.push((page.status, page.text));
        let fields = [
            ("csrf", csrf),
            ("token", token),
            ("email", "x@example.com"),
            ("password", STRONG),
            ("confirm", STRONG),
        ];
        let page = b.post_form(FORM, &fields).await;
        out.push((page.status, page.text));
        let page = post_api(server, "127.0.0.1", &json!({"token": token})).await;
        out.push((page.status, page.text));
        let page = post_api(server, "127.0.0.1", &json!({"nonsense": 1})).await;
        out.push((page.status, page.text));
        let req = b.request(reqwest::Method::GET, API);
        let page = b.send(req).await;
        out.push((page.status, page.text));
    }
    out
}

/// The 404s of `knock`: each route always answers the same.
#[track_caller]
fn assert_same_404s(answers: &[(u16, String)]) {
    assert!(
        answers.iter().all(|(s, _)| *s == 404),
        "not all 404: {answers:?}"
    );
    let (form, api) = (&answers[0].1, &answers[2].1);
    for (i, (_, body)) in answers.iter().enumerate() {
        let expected = if i % 5 < 2 { form } else { api };
        assert_eq!(body, expected, "answer {i} differs");
    }
}

async fn after_bootstrap_both_routes_answer_the_same_404_even_with_the_right_token(
    backend: Backend,
) {
    let a = armed(backend).await;
    let mut b = Browser::new(&a.server);
    let form = b.get(FORM).await;
    assert_eq!(form.status, 200, "{}", form.text);
    let csrf = form.hidden("csrf").expect("csrf");
    redeem(&a.server, &a.token).await;

    let after = knock(&a.server, &a.token, &csrf).await;
    assert_same_404s(&after);
    assert_eq!(count(&a.db, "users").await, 1);

    // Exactly what a gateway that was never armed answers.
    let db = TestDb::new(backend).await;
    let never = Gateway::new(&db, NO_ADMIN).serve().await;
    let unarmed = knock(&never, &a.token, &csrf).await;
    assert_same_404s(&unarmed);
    let strip = |v: &[(u16, String)]| v.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>();
    assert_eq!(strip(&after), strip(&unarmed));
}

async fn an_admin_created_any_other_way_closes_the_link_and_deletes_its_file(backend: Backend) {
    let a = armed(backend).await;
    let out = crate::common::process::run_with_stdin(
        a.gw.command(&["admin", "create", "ops@example.com", "--password-stdin"]),
        Some(STRONG),
    )
    .await;
    out.assert_code(0);
    let page = post_api(&a.server, "127.0.0.1", &json!({"token": a.token})).await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert!(!a.token_path.exists(), "the stale token file was kept");
    assert_eq!(count(&a.db, "users").await, 1);
    assert_eq!(count(&a.db, "admin_tokens").await, 0);
}

both_backends!(
    the_api_creates_the_first_admin_and_a_control_plane_token_shown_once,
    a_chosen_email_name_and_password_are_kept_and_no_password_is_returned,
    after_bootstrap_both_routes_answer_the_same_404_even_with_the_right_token,
    an_admin_created_any_other_way_closes_the_link_and_deletes_its_file,
);
