//! The token file and the log: armed only with the toggle and no active admin; the file is
//! 0600 and named in the log with the URL, and no secret ever reaches a log line; unsafe
//! pre-existing files are refused at startup; a file that cannot be deleted is reported.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::support::{FORM, NO_ADMIN, STRONG, armed, link_gateway, me_with, post_api, read_token};
use crate::both_backends;
use crate::common::admin::{ADMIN_PASSWORD, admin_config};
use crate::common::{Backend, Gateway, TestDb};

async fn the_log_names_the_file_and_the_url_and_no_log_line_holds_a_secret(backend: Backend) {
    let a = armed(backend).await;
    // A failed guess and a refused password first, so their paths are logged too.
    let wrong = post_api(&a.server, "127.0.0.2", &json!({"token": "gwb_guess"})).await;
    assert_eq!(wrong.status, 401);
    let weak = json!({"token": a.token, "password": "Password-123"});
    let refused = post_api(&a.server, "127.0.0.1", &weak).await;
    refused.assert_api_error(400, "invalid_request");
    let body = json!({"token": a.token, "email": "ops@example.com"});
    let created = post_api(&a.server, "127.0.0.1", &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    let password = created["password"].as_str().unwrap().to_string();
    let cp_token = created["control_plane_token"].as_str().unwrap().to_string();
    assert_eq!(me_with(&a.server, &cp_token).await.status, 200);

    let logs = a.server.terminate_and_logs().await;
    let armed_line = logs
        .lines()
        .find(|l| l.contains("bootstrap link armed"))
        .unwrap_or_else(|| panic!("no 'armed' line:\n{logs}"));
    assert!(
        armed_line.contains(a.token_path.to_str().unwrap()),
        "{armed_line}"
    );
    assert!(armed_line.contains("/admin/bootstrap"), "{armed_line}");
    let cp_secret = cp_token.rsplit('_').next().unwrap();
    for (what, secret) in [
        ("bootstrap token", a.token.as_str()),
        ("bootstrap token hex", &a.token[4..]),
        ("generated password", password.as_str()),
        ("refused password", "Password-123"),
        ("control-plane token secret", cp_secret),
    ] {
        for line in logs.lines() {
            assert!(
                !line.contains(secret),
                "the {what} is in a log line: {line}"
            );
        }
    }
}

async fn without_the_toggle_nothing_is_armed_and_the_routes_do_not_exist(backend: Backend) {
    let db = TestDb::new(backend).await;
    let path = db.dir.path().join("bootstrap-token");
    let gw = Gateway::new(&db, NO_ADMIN)
        .env("GATEWAY_BOOTSTRAP_TOKEN_FILE", path.to_str().unwrap())
        .env("XDG_RUNTIME_DIR", db.dir.path().to_str().unwrap());
    let server = gw.serve().await;
    assert!(!path.exists());
    assert!(!db.dir.path().join("gateway-bootstrap-token").exists());
    let page = post_api(&server, "127.0.0.1", &json!({"token": "gwb_x"})).await;
    page.assert_api_error(404, "not_found");
    let mut b = crate::common::admin::Browser::new(&server);
    assert_eq!(b.get(FORM).await.status, 404);
    assert!(!server.logs().contains("bootstrap link armed"));
}

async fn with_an_active_admin_the_link_is_not_armed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let path = db.dir.path().join("bootstrap-token");
    let server = Gateway::new(&db, &admin_config(false))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("GATEWAY_BOOTSTRAP_LINK", "true")
        .env("GATEWAY_BOOTSTRAP_TOKEN_FILE", path.to_str().unwrap())
        .serve()
        .await;
    assert!(!path.exists(), "armed although an admin exists");
    assert!(
        server.logs().contains("bootstrap link not armed"),
        "{}",
        server.logs()
    );
    let page = post_api(&server, "127.0.0.1", &json!({"token": "gwb_x"})).await;
    page.assert_api_error(404, "not_found");
}

async fn unsafe_token_files_are_refused_at_startup_and_a_stale_private_one_replaced(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let (gw, path) = link_gateway(&db, "bootstrap-token");
    // A symlink (here to a file an attacker would like overwritten).
    let target = db.dir.path().join("precious");
    std::fs::write(&target, "precious").unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let out = gw.run(&["serve"]).await;
    out.assert_code(2);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert!(
        out.stderr.contains(path.to_str().unwrap()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("GATEWAY_BOOTSTRAP_TOKEN_FILE"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    std::fs::remove_file(&path).unwrap();

    // A file group or others can read.
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = gw.run(&["serve"]).await;
    out.assert_code(2);
    assert!(out.stderr.contains("group or others"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");

    // A private file from an earlier run is replaced by a fresh token.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = gw.serve().await;
    let token = read_token(&path);
    assert_eq!(
        post_api(&server, "127.0.0.1", &json!({"token": token}))
            .await
            .status,
        201
    );
}

async fn a_token_file_that_cannot_be_deleted_is_reported(backend: Backend) {
    let a = armed(backend).await;
    // Something the server cannot remove now stands where the file was.
    std::fs::remove_file(&a.token_path).unwrap();
    std::fs::create_dir(&a.token_path).unwrap();
    std::fs::write(a.token_path.join("x"), "x").unwrap();
    let body = json!({"token": a.token, "password": STRONG});
    let page = post_api(&a.server, "127.0.0.1", &body).await;
    assert_eq!(page.status, 201, "{}", page.text);
    assert_eq!(page.json()["token_file_deleted"], false);
}

async fn a_clean_shutdown_deletes_an_unused_token_file(backend: Backend) {
    let a = armed(backend).await;
    assert!(a.token_path.exists());
    let logs = a.server.terminate_and_logs().await;
    assert!(!a.token_path.exists(), "the dead token's file was kept");
    assert!(
        logs.contains("bootstrap link disarmed at shutdown"),
        "{logs}"
    );
}

async fn the_default_token_file_is_in_the_runtime_dir(backend: Backend) {
    let db = TestDb::new(backend).await;
    let runtime = tempfile::tempdir().unwrap();
    let server = Gateway::new(&db, NO_ADMIN)
        .env("GATEWAY_BOOTSTRAP_LINK", "yes")
        .env("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap())
        .serve()
        .await;
    let path = runtime.path().join("gateway-bootstrap-token");
    let token = read_token(&path);
    let page = post_api(&server, "127.0.0.1", &json!({"token": token})).await;
    assert_eq!(page.status, 201, "{}", page.text);
    assert!(!path.exists());
}

both_backends!(
    the_log_names_the_file_and_the_url_and_no_log_line_holds_a_secret,
    without_the_toggle_nothing_is_armed_and_the_routes_do_not_exist,
    with_an_active_admin_the_link_is_not_armed,
);

mod sqlite_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unsafe_token_files_are_refused_at_startup_and_a_stale_private_one_replaced() {
        super::unsafe_token_files_are_refused_at_startup_and_a_stale_private_one_replaced(
            Backend::Sqlite,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_file_that_cannot_be_deleted_is_reported() {
        super::a_token_file_that_cannot_be_deleted_is_reported(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_clean_shutdown_deletes_an_unused_token_file() {
        super::a_clean_shutdown_deletes_an_unused_token_file(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_default_token_file_is_in_the_runtime_dir() {
        super::the_default_token_file_is_in_the_runtime_dir(Backend::Sqlite).await;
    }
}
