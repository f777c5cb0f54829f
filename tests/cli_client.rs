//! The control-plane CLI client against a real `gateway serve`: `gateway login` saves one
//! 0600 entry per server and nothing on failure, `whoami` asks the server, `logout` revokes the
//! token there, and `credentials create|list|revoke --server` work through the admin API as
//! the logged-in user. A control-plane token opens `/api/v1/admin/*` only.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, LOGIN_FAILED, admin_config, insert_user};
use common::client::{ClientCli, base, get_with_bearer};
use common::plane::{get, wait_until_accepted};
use common::{Backend, Gateway, Server, TestDb, eventually};
use serde_json::Value;

const TEAM: &str = "
teams: [{ id: platform, name: Platform }]
service_accounts: [{ id: ci, team: platform, name: CI }]
";

async fn setup(backend: Backend) -> (TestDb, Gateway, Server, ClientCli) {
    let db = TestDb::new(backend).await;
    let yaml = format!("{}{TEAM}", admin_config(false));
    let gw = Gateway::new(&db, &yaml).env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = gw.serve().await;
    let cli = ClientCli::new(&gw);
    (db, gw, server, cli)
}

async fn count(db: &TestDb, sql: &str) -> String {
    db.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}"))
        .await
}

async fn login_saves_one_private_entry_per_server_and_whoami_answers(backend: Backend) {
    let (db, _gw, server, cli) = setup(backend).await;
    let url = base(&server);
    cli.login(&format!("{url}/"), ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    let first = cli.token(&url);
    assert!(first.starts_with("gwa_"), "{first}");
    // The same server spelled differently is the same entry; the token it replaces is revoked.
    let upper = url.replace("http://", "HTTP://");
    let again = cli.login(&upper, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    again.assert_code(0);
    assert!(
        !again.all().contains("gwa_"),
        "token printed: {}",
        again.all()
    );
    assert_eq!(cli.saved().len(), 1, "{:?}", cli.saved());
    assert_ne!(cli.token(&url), first);
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/me", &first).await.0,
        401
    );
    // Another spelling of the host is another server.
    let other = url.replace("127.0.0.1", "localhost");
    cli.login(&other, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    assert_eq!(cli.saved().len(), 2);
    assert_eq!(
        count(&db, "admin_tokens WHERE revoked_at IS NULL").await,
        "2"
    );

    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(cli.file()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let files: Vec<String> = std::fs::read_dir(cli.file().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec!["credentials.toml"], "temp files left behind");

    let several = cli.run(&["whoami"], None).await;
    several.assert_code(2);
    assert!(several.stderr.contains("--server"), "{}", several.stderr);
    let me = cli.run(&["whoami", "--server", &url, "--json"], None).await;
    me.assert_code(0);
    let me: Value = serde_json::from_str(me.stdout.trim()).unwrap();
    assert_eq!(
        (&me["email"], &me["platform_admin"], &me["server"]),
        (
            &Value::from(ADMIN_EMAIL),
            &Value::from(true),
            &Value::from(url.clone())
        )
    );
    let text = cli.run(&["whoami", "--server", &url], None).await;
    assert!(
        text.stdout.contains("admin@example.com (Admin)"),
        "{}",
        text.stdout
    );
    // A file others can read is refused, with the fix.
    std::fs::set_permissions(
        cli.file(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let loose = cli.run(&["whoami", "--server", &url], None).await;
    loose.assert_code(2);
    assert!(loose.stderr.contains("chmod 600"), "{}", loose.stderr);
}

async fn a_refused_login_exits_1_with_the_sign_in_message_and_writes_nothing(backend: Backend) {
    let (db, _gw, server, cli) = setup(backend).await;
    let url = base(&server);
    for (email, password) in [
        (ADMIN_EMAIL, "Wrong-Horse-Battery-42"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        let out = cli.login(&url, email, password).await;
        out.assert_code(1);
        assert!(out.stderr.contains(LOGIN_FAILED), "{}", out.stderr);
        assert!(!out.all().contains(password), "password echoed");
    }
    assert!(!cli.file().exists(), "a refused login wrote the file");
    // Forced rotation: the right password, still no token.
    insert_user(
        &db,
        "new@example.com",
        Some(ADMIN_PASSWORD),
        "active",
        true,
        true,
    )
    .await;
    let forced = cli.login(&url, "new@example.com", ADMIN_PASSWORD).await;
    forced.assert_code(1);
    assert!(
        forced.stderr.contains("password_change_required") && forced.stderr.contains("/admin"),
        "{}",
        forced.stderr
    );
    assert!(!cli.file().exists());
    assert_eq!(count(&db, "admin_tokens").await, "0");
    // No password on argv, and none on a non-terminal stdin without --password-stdin.
    let no_stdin = cli
        .run(&["login", "--server", &url, "--email", ADMIN_EMAIL], None)
        .await;
    no_stdin.assert_code(2);
    assert!(
        no_stdin.stderr.contains("--password-stdin"),
        "{}",
        no_stdin.stderr
    );
    let bad_url = cli
        .login("127.0.0.1:8080", ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    bad_url.assert_code(2);
    assert!(bad_url.stderr.contains("--server"), "{}", bad_url.stderr);
}

async fn logout_revokes_the_token_on_the_server_and_forgets_the_login(backend: Backend) {
    let (_db, _gw, server, cli) = setup(backend).await;
    let url = base(&server);
    cli.login(&url, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    let token = cli.token(&url);
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/me", &token).await.0,
        200
    );
    let out = cli.run(&["logout"], None).await;
    out.assert_code(0);
    assert!(out.stdout.contains("revoked"), "{}", out.stdout);
    let (status, body) = get_with_bearer(&server, "/api/v1/admin/me", &token).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("invalid_token"), "{body}");
    assert!(cli.saved().is_empty());
    let gone = cli.run(&["whoami"], None).await;
    gone.assert_code(2);
    assert!(gone.stderr.contains("gateway login"), "{}", gone.stderr);

    // A server that is down: the login is still forgotten, with a warning naming the token.
    cli.login(&url, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    let token_id = cli.saved()[&url]["token_id"].as_str().unwrap().to_string();
    assert_eq!(server.terminate().await, 0);
    let offline = cli.run(&["logout", "--server", &url], None).await;
    offline.assert_code(0);
    assert!(
        offline.stderr.contains("could not revoke") && offline.stderr.contains(&token_id),
        "{}",
        offline.stderr
    );
    assert!(cli.saved().is_empty());
}

async fn credentials_commands_work_through_the_api_with_server(backend: Backend) {
    let (db, _gw, server, cli) = setup(backend).await;
    let url = base(&server);
    cli.login(&url, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    let args = [
        "credentials",
        "create",
        "--service-account",
        "ci",
        "--name",
        "deploy",
    ];
    let mut with_server = args.to_vec();
    with_server.extend(["--expires", "30d", "--json", "--server", &url]);
    let created = cli.run(&with_server, None).await;
    created.assert_code(0);
    let created: Value = serde_json::from_str(created.stdout.trim()).unwrap();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    assert!(key.starts_with("gw_"), "{created}");
    assert_eq!(created["team_id"], "platform");
    assert_eq!(
        created["grants"],
        Value::Null,
        "all models, printed as offline"
    );
    assert!(created["expires_at"].is_string(), "{created}");
    wait_until_accepted(&server, key).await;
    // It went through the API: created by the admin's user id, not the offline `cli`.
    let admin_id = db
        .scalar(&format!(
            "SELECT id FROM users WHERE email = '{ADMIN_EMAIL}'"
        ))
        .await;
    let list = cli
        .run(&["credentials", "list", "--json", "--server", &url], None)
        .await;
    list.assert_code(0);
    let rows: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    let row = rows.iter().find(|r| r["id"] == id).expect("listed");
    assert_eq!(
        (&row["service_account_id"], &row["created_by"]),
        (&Value::from("ci"), &Value::from(admin_id.clone()))
    );
    assert!(!list.stdout.contains(key), "secret listed");
    let table = cli
        .run(&["credentials", "list", "--server", &url], None)
        .await;
    assert!(
        table.stdout.contains("sa:ci") && table.stdout.contains("active"),
        "{}",
        table.stdout
    );
    // Personal credentials of others cannot be issued over the API.
    let other = cli
        .run(
            &[
                "credentials",
                "create",
                "--user",
                "dev@example.com",
                "--name",
                "x",
                "--server",
                &url,
            ],
            None,
        )
        .await;
    other.assert_code(2);
    assert!(
        other.stderr.contains("only be issued to yourself"),
        "{}",
        other.stderr
    );
    // Server errors come back as clear usage errors.
    let unknown = cli
        .run(&["credentials", "revoke", "nope", "--server", &url], None)
        .await;
    unknown.assert_code(2);
    assert!(unknown.stderr.contains("not found"), "{}", unknown.stderr);

    let revoked = cli
        .run(&["credentials", "revoke", id, "--server", &url], None)
        .await;
    revoked.assert_code(0);
    assert_eq!(revoked.stdout.trim(), format!("revoked {id}"));
    eventually(
        Duration::from_secs(5),
        "the revoked key to be refused",
        || async { (get(&server, "/v1/models", Some(key)).await.status == 401).then_some(()) },
    )
    .await;
    let actor = db
        .scalar("SELECT actor FROM audit_log WHERE action = 'credential.revoked' ORDER BY id DESC")
        .await;
    assert_eq!(actor, admin_id);
}

async fn a_control_plane_token_opens_the_admin_api_only(backend: Backend) {
    let (_db, gw, server, cli) = setup(backend).await;
    let url = base(&server);
    cli.login(&url, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_code(0);
    let token = cli.token(&url);
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/me", &token).await.0,
        200
    );
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/tokens", &token)
            .await
            .0,
        200
    );
    let (status, to) = get_with_bearer(&server, "/admin", &token).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "-> /admin/login"),
        "pages take no token"
    );
    let v1 = get(&server, "/v1/models", Some(&token)).await;
    assert_eq!(v1.status, 401, "{}", v1.text);
    // …and a data-plane key never opens the admin API.
    let key = common::plane::issue(&gw, &["--service-account", "ci", "--name", "dp"]).await;
    wait_until_accepted(&server, &key.key).await;
    let (status, body) = get_with_bearer(&server, "/api/v1/admin/me", &key.key).await;
    assert_eq!(status, 401, "{body}");
    let code = serde_json::from_str::<Value>(&body).unwrap()["error"]["code"].clone();
    assert_eq!(code, "invalid_token");
}

both_backends!(
    login_saves_one_private_entry_per_server_and_whoami_answers,
    a_refused_login_exits_1_with_the_sign_in_message_and_writes_nothing,
    logout_revokes_the_token_on_the_server_and_forgets_the_login,
    credentials_commands_work_through_the_api_with_server,
    a_control_plane_token_opens_the_admin_api_only,
);
