//! `gateway remote init|login --ssh USER@HOST` with a fake `ssh` first on PATH that runs the
//! remote command locally (this test's binary and config): the first admin is created over
//! ssh with the password on stdin (never in argv), a token is minted and saved, and the login
//! is verified against the running server. Nothing runs without confirmation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, admin_config};
use common::client::{ClientCli, base, get_with_bearer};
use common::{Backend, Gateway, Server, TestDb};
use serde_json::Value;

const OPS: &str = "ops@example.com";
const OPS_PASSWORD: &str = "Staple-Orbit-Lantern-93";
const FRESH: &str = "auth: { bootstrap_admin: { enabled: false } }\n";

/// A running gateway on `yaml` and a client whose `ssh` is the fake one.
async fn setup(backend: Backend, yaml: &str) -> (TestDb, Server, ClientCli) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, yaml).env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = gw.serve().await;
    let cli = ClientCli::new(&gw).with_fake_ssh();
    (db, server, cli)
}

fn init_args<'a>(email: &'a str, url: &'a str, remote: &'a str) -> Vec<&'a str> {
    vec![
        "remote",
        "init",
        "--ssh",
        "ops@gw.internal",
        "--server",
        url,
        "--email",
        email,
        "--remote-command",
        remote,
    ]
}

async fn remote_init_creates_the_first_admin_over_ssh_and_saves_a_working_login(backend: Backend) {
    let (db, server, cli) = setup(backend, FRESH).await;
    let (url, remote) = (base(&server), cli.remote_command());
    let mut args = init_args(OPS, &url, &remote);
    args.extend(["--password-stdin", "--yes"]);
    let out = cli.run(&args, Some(&format!("{OPS_PASSWORD}\n"))).await;
    out.assert_code(0);
    assert!(
        out.stdout.contains("verified: ops@example.com"),
        "{}",
        out.stdout
    );
    assert!(!out.all().contains("gwa_"), "token printed: {}", out.all());

    // Two ssh calls to the host, each with the destination first and quoted arguments; the
    // password travelled on stdin only.
    let log = cli.ssh_log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines[0].starts_with("ops@gw.internal "), "{log}");
    assert!(
        lines[0].ends_with("'admin' 'create' 'ops@example.com' '--json' '--password-stdin'"),
        "{log}"
    );
    assert!(
        lines[1].contains("'admin' 'token' 'ops@example.com' '--json' '--name'"),
        "{log}"
    );
    assert!(
        !log.contains(OPS_PASSWORD),
        "password on the ssh command line: {log}"
    );

    let row = db
        .rows(&format!(
            "SELECT status, CAST(platform_admin AS INTEGER) FROM users WHERE email = '{OPS}'"
        ))
        .await;
    assert_eq!(row, vec![vec!["active", "1"]]);
    assert_eq!(cli.saved()[&url]["email"].as_str(), Some(OPS));
    let me = cli.run(&["whoami", "--json"], None).await;
    me.assert_code(0);
    let me: Value = serde_json::from_str(me.stdout.trim()).unwrap();
    assert_eq!(
        (&me["email"], &me["platform_admin"]),
        (&Value::from(OPS), &Value::from(true))
    );
    // The password set over ssh is the one given: it signs in.
    cli.login(&url, OPS, OPS_PASSWORD).await.assert_code(0);
}

async fn remote_init_without_a_password_generates_one_and_shows_it_once(backend: Backend) {
    let (_db, server, cli) = setup(backend, FRESH).await;
    let (url, remote) = (base(&server), cli.remote_command());
    let mut args = init_args(OPS, &url, &remote);
    args.push("--yes");
    let out = cli.run(&args, None).await;
    out.assert_code(0);
    let prefix = format!("password of {OPS}: ");
    let password = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no password line: {}", out.stdout))
        .to_string();
    assert!(password.len() >= 20, "{password}");
    assert_eq!(
        out.stdout.matches(&password).count(),
        1,
        "shown more than once"
    );
    assert!(!cli.ssh_log().contains(&password));
    assert!(!out.stderr.contains(&password));
    cli.login(&url, OPS, &password).await.assert_code(0);
}

async fn remote_init_without_yes_and_without_a_terminal_changes_nothing(backend: Backend) {
    let (db, server, cli) = setup(backend, FRESH).await;
    let (url, remote) = (base(&server), cli.remote_command());
    for extra in [vec![], vec!["--password-stdin"]] {
        let mut args = init_args(OPS, &url, &remote);
        args.extend(extra);
        let out = cli.run(&args, Some(&format!("{OPS_PASSWORD}\n"))).await;
        out.assert_code(2);
        assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    }
    assert_eq!(cli.ssh_log(), "", "ssh ran without confirmation");
    assert!(!cli.file().exists());
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "0"
    );
    // Bad input is refused before ssh runs too.
    let bad = cli
        .run(
            &[
                "remote",
                "init",
                "--ssh",
                "-oProxyCommand=x",
                "--yes",
                "--server",
                &url,
            ],
            None,
        )
        .await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("--ssh"), "{}", bad.stderr);
    assert_eq!(cli.ssh_log(), "");
}

async fn remote_init_for_an_existing_admin_points_to_remote_login(backend: Backend) {
    let (_db, server, cli) = setup(backend, &admin_config(false)).await;
    let (url, remote) = (base(&server), cli.remote_command());
    let mut args = init_args(ADMIN_EMAIL, &url, &remote);
    args.push("--yes");
    let out = cli.run(&args, None).await;
    out.assert_code(1);
    assert!(
        out.stderr.contains("already exists") && out.stderr.contains("gateway remote login"),
        "{}",
        out.stderr
    );
    assert!(!cli.file().exists());
}

async fn remote_login_mints_a_new_token_for_an_existing_admin(backend: Backend) {
    let (_db, server, cli) = setup(backend, &admin_config(false)).await;
    let (url, remote) = (base(&server), cli.remote_command());
    let args = [
        "remote",
        "login",
        "--ssh",
        "root@gw.internal",
        "--server",
        &url,
        "--email",
        ADMIN_EMAIL,
        "--remote-command",
        &remote,
    ];
    let out = cli.run(&args, None).await;
    out.assert_code(0);
    assert!(
        out.stdout.contains("verified: admin@example.com"),
        "{}",
        out.stdout
    );
    assert_eq!(cli.ssh_log().lines().count(), 1, "only a token is minted");
    let first = cli.token(&url);
    cli.run(&["whoami"], None).await.assert_code(0);
    // Again: the new token replaces the saved one, and the old one is revoked.
    cli.run(&args, None).await.assert_code(0);
    assert_ne!(cli.token(&url), first);
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/me", &first).await.0,
        401
    );

    let mut unknown = args.to_vec();
    unknown[7] = "nobody@example.com";
    let out = cli.run(&unknown, None).await;
    out.assert_code(1);
    assert!(out.stderr.contains("nobody@example.com"), "{}", out.stderr);
}

async fn remote_login_with_an_unreachable_server_saves_the_login_and_warns(backend: Backend) {
    let (_db, _server, cli) = setup(backend, &admin_config(false)).await;
    let remote = cli.remote_command();
    let args = [
        "remote",
        "login",
        "--ssh",
        "root@gw.internal",
        "--server",
        "http://127.0.0.1:9",
        "--email",
        ADMIN_EMAIL,
        "--remote-command",
        &remote,
    ];
    let out = cli.run(&args, None).await;
    out.assert_code(0);
    assert!(out.stderr.contains("not verified"), "{}", out.stderr);
    assert!(cli.token("http://127.0.0.1:9").starts_with("gwa_"));
}

both_backends!(
    remote_init_creates_the_first_admin_over_ssh_and_saves_a_working_login,
    remote_init_without_a_password_generates_one_and_shows_it_once,
    remote_init_without_yes_and_without_a_terminal_changes_nothing,
    remote_init_for_an_existing_admin_points_to_remote_login,
    remote_login_mints_a_new_token_for_an_existing_admin,
    remote_login_with_an_unreachable_server_saves_the_login_and_warns,
);
