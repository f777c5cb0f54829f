//! `gateway login`, `gateway logout`, `gateway whoami`: the control-plane client's session on
//! a running gateway, kept as a `gwa_` token in `credentials.toml` (see `client::file`). The
//! password is read from stdin or a hidden prompt, never argv, and the token is never
//! printed. These commands need no config file and no database.

use std::io::IsTerminal;

use super::Failure;
use super::password_input::read_password;
use crate::client::session::{self, Me};
use crate::client::{ClientError, CredentialStore, ServerUrl, default_token_name};

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The gateway's URL, e.g. https://gateway.example.com (optional when already logged in to
    /// exactly one gateway).
    #[arg(long, env = "GATEWAY_SERVER")]
    server: Option<String>,
    /// Your e-mail (default: the one of the saved login for this server).
    #[arg(long)]
    email: Option<String>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    password_stdin: bool,
    /// The token's name on the server (default: "gateway login on <this host>").
    #[arg(long)]
    name: Option<String>,
    /// Let the token expire after this many days (default: no expiry).
    #[arg(long)]
    expires_in_days: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// Which saved login (optional when there is only one).
    #[arg(long, env = "GATEWAY_SERVER")]
    server: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    /// Which saved login (optional when there is only one).
    #[arg(long, env = "GATEWAY_SERVER")]
    server: Option<String>,
    #[arg(long)]
    json: bool,
}

/// Client errors as exit codes: what the user asked for (and the server refused as such) is 2,
/// everything else 1.
pub fn client_failure(e: ClientError) -> Failure {
    match &e {
        ClientError::Usage(_) => Failure::config(e),
        ClientError::Api {
            status: 400 | 404 | 409,
            ..
        } => Failure::config(e),
        _ => e.into(),
    }
}

/// `--server` parsed, or a usage error naming the flag.
pub fn server_arg(text: Option<&str>) -> Result<Option<ServerUrl>, Failure> {
    text.map(|t| ServerUrl::parse(t).map_err(|e| Failure::config(anyhow::anyhow!("--server: {e}"))))
        .transpose()
}

/// One password, read as `--password-stdin` says or from a hidden prompt (no confirmation:
/// it is checked by the server, not chosen here).
fn read_login_password(password_stdin: bool) -> Result<String, Failure> {
    if password_stdin {
        return read_password(true, "password");
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::config(anyhow::anyhow!(
            "no terminal to prompt for the password on: pass --password-stdin and send it on \
             standard input (passwords are never taken from the command line)"
        )));
    }
    let p = rpassword::prompt_password("password: ")
        .map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
    if p.is_empty() {
        return Err(anyhow::anyhow!("the password is empty").into());
    }
    Ok(p)
}

pub async fn login(args: LoginArgs) -> Result<(), Failure> {
    let store = CredentialStore::from_env().map_err(client_failure)?;
    // Read the file first: a loose or broken file stops us before the password is sent.
    let creds = store.load().map_err(client_failure)?;
    let server = match server_arg(args.server.as_deref())? {
        Some(s) => s,
        None => match creds.select(None) {
            Ok((only, _)) => only,
            Err(_) => {
                return Err(Failure::config(anyhow::anyhow!(
                    "--server URL: which gateway? (no single saved login to renew)"
                )));
            }
        },
    };
    let email = match (&args.email, creds.get(&server)) {
        (Some(e), _) => e.trim().to_string(),
        (None, Some(saved)) => saved.email.clone(),
        (None, None) => {
            return Err(Failure::config(anyhow::anyhow!(
                "--email: which account? (no saved login for {server})"
            )));
        }
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_token_name("gateway login"));
    let password = read_login_password(args.password_stdin)?;
    let minted = session::exchange(&server, &email, &password, &name, args.expires_in_days)
        .await
        .map_err(|e| match e.code() {
            Some("password_change_required") => Failure::from(anyhow::anyhow!(
                "{e}: this account must set a new password first — sign in at {server}/admin, \
                 change it, then run `gateway login` again"
            )),
            _ => client_failure(e),
        })?;
    let (id, token_name) = (minted.id.clone(), minted.name.clone());
    let replaced = session::save(&store, &server, minted).map_err(client_failure)?;
    if let Some(old) = replaced.filter(|o| o.token_id != id)
        && let Err(e) = session::revoke_token(&server, &old).await
    {
        eprintln!(
            "warning: could not revoke the token this login replaces ({}): {e}",
            old.token_id
        );
    }
    println!(
        "logged in to {server} as {email} (token {token_name:?}, id {id}); saved in {}",
        store.path().display()
    );
    Ok(())
}

pub async fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let store = CredentialStore::from_env().map_err(client_failure)?;
    let mut creds = store.load().map_err(client_failure)?;
    let wanted = server_arg(args.server.as_deref())?;
    let (server, entry) = creds.select(wanted.as_ref()).map_err(client_failure)?;
    let revoked = session::revoke_token(&server, &entry).await;
    creds.remove(&server);
    store.save(&creds).map_err(client_failure)?;
    match revoked {
        Ok(()) => println!("logged out of {server}; token {} revoked", entry.token_id),
        Err(e) => {
            println!("logged out of {server} (removed the saved login)");
            eprintln!(
                "warning: could not revoke token {} on the server: {e}. It stays valid until \
                 revoked: `gateway admin revoke-token {}` on the server, or the admin UI",
                entry.token_id, entry.token_id
            );
        }
    }
    Ok(())
}

pub async fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let store = CredentialStore::from_env().map_err(client_failure)?;
    let creds = store.load().map_err(client_failure)?;
    let wanted = server_arg(args.server.as_deref())?;
    let (server, entry) = creds.select(wanted.as_ref()).map_err(client_failure)?;
    let me = session::whoami(&server, &entry)
        .await
        .map_err(|e| stale_login(e, &server))?;
    if args.json {
        let mut v = serde_json::to_value(&me)?;
        v["server"] = server.as_str().into();
        println!("{v}");
    } else {
        println!("{}", describe(&me, &server));
    }
    Ok(())
}

/// A refused saved token gets the way out added.
pub fn stale_login(e: ClientError, server: &ServerUrl) -> Failure {
    match e.code() {
        Some("invalid_token") => Failure::from(anyhow::anyhow!(
            "{e}: the saved login for {server} no longer works; run `gateway login --server \
             {server}`"
        )),
        _ => client_failure(e),
    }
}

/// `EMAIL (Name) on SERVER: platform admin; teams: a (owner), b (member)`.
pub fn describe(me: &Me, server: &ServerUrl) -> String {
    let mut roles = Vec::new();
    if me.platform_admin {
        roles.push("platform admin".to_string());
    }
    if !me.teams.is_empty() {
        let teams: Vec<String> = me
            .teams
            .iter()
            .map(|t| format!("{} ({})", t.team, t.role))
            .collect();
        roles.push(format!("teams: {}", teams.join(", ")));
    }
    if roles.is_empty() {
        roles.push("no team".into());
    }
    format!(
        "{} ({}) on {server}: {}",
        me.email,
        me.name,
        roles.join("; ")
    )
}
