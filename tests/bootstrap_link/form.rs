//! `/admin/bootstrap`: the form (no session, pre-session CSRF), its refusals, and the page that
//! shows the new admin's control-plane token once.

use super::support::{FORM, STRONG, armed, assert_nothing_created, me_with};
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::{Browser, Page};

fn fields<'a>(
    csrf: &'a str,
    token: &'a str,
    password: &'a str,
    confirm: &'a str,
) -> [(&'static str, &'a str); 6] {
    [
        ("csrf", csrf),
        ("token", token),
        ("email", "root@example.com"),
        ("name", "Root"),
        ("password", password),
        ("confirm", confirm),
    ]
}

#[track_caller]
fn assert_form_error(page: &Page, status: u16, alert: &str) {
    assert_eq!(page.status, status, "{}", page.text);
    let shown = page.alert().unwrap_or_default();
    assert!(shown.contains(alert), "alert {shown:?}, expected {alert:?}");
    // The form comes back with what was typed, except the secrets.
    assert!(page.hidden("csrf").is_some());
    assert!(
        page.text.contains("value=\"root@example.com\""),
        "{}",
        page.text
    );
}

async fn the_form_creates_the_admin_with_a_chosen_password_and_shows_the_token_once(
    backend: Backend,
) {
    let a = armed(backend).await;
    let mut b = Browser::new(&a.server);
    let page = b.get(FORM).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let csrf = page.hidden("csrf").expect("csrf field");
    assert_eq!(b.cookie("gw_pre").as_deref(), Some(csrf.as_str()));
    assert!(!page.text.contains(&a.token));

    // Without the double-submit value: refused before anything else.
    let mut stranger = Browser::new(&a.server);
    let page = stranger
        .post_form(FORM, &fields("forged", &a.token, STRONG, STRONG))
        .await;
    assert_eq!(page.status, 403, "{}", page.text);

    let page = b
        .post_form(FORM, &fields(&csrf, &a.token, STRONG, "Something-Else-123"))
        .await;
    assert_form_error(&page, 400, "repeat password: does not match");
    let page = b
        .post_form(FORM, &fields(&csrf, &a.token, "admin", "admin"))
        .await;
    assert_form_error(&page, 400, "password");
    let page = b
        .post_form(FORM, &fields(&csrf, "gwb_wrong", STRONG, STRONG))
        .await;
    assert_form_error(&page, 401, "The bootstrap token is not valid.");
    assert!(!page.text.contains(STRONG), "the password was echoed");
    assert_nothing_created(&a.db).await;

    let page = b
        .post_form(FORM, &fields(&csrf, &a.token, STRONG, STRONG))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let marker = "id=\"cp-token\">";
    let start = page.text.find(marker).expect("token on the page") + marker.len();
    let token = &page.text[start..start + page.text[start..].find('<').unwrap()];
    assert!(token.starts_with("gwa_"), "{token}");
    assert!(page.text.contains("was deleted"), "{}", page.text);
    assert!(!a.token_path.exists());
    assert!(
        b.cookie("gw_pre").is_none(),
        "the pre-session cookie is cleared"
    );

    let me = me_with(&a.server, token).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["name"], "Root");
    let signed_in = Browser::new(&a.server)
        .sign_in("root@example.com", STRONG)
        .await;
    signed_in.assert_redirect("/admin");
    // Shown once: the form is gone now.
    assert_eq!(b.get(FORM).await.status, 404);
}

both_backends!(the_form_creates_the_admin_with_a_chosen_password_and_shows_the_token_once);
