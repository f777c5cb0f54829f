//! `gateway remote init|login --ssh USER@HOST`: from a fresh server to a configured CLI in one
//! command. Runs the offline `gateway admin create … --json` and `gateway admin token … --json`
//! on the host over ssh (the password on the remote command's stdin, never in argv), saves the
//! token as this machine's login for the server, and checks it with `whoami` when the server
//! answers. Only someone who can already ssh to the server can do this.

use std::io::{BufRead, IsTerminal, Write};

use rand::Rng;

use super::Failure;
use super::login::{client_failure, describe, server_arg};
use super::password_input::read_password;
use crate::client::session::{self, Minted};
use crate::client::ssh::Remote;
use crate::client::{ClientError, CredentialStore, ServerUrl, default_token_name};
use crate::identity::Email;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a platform admin on the host over ssh and log this CLI in as them.
    Init(InitArgs),
    /// Mint a new token for an existing admin over ssh and log this CLI in with it.
    Login(LoginArgs),
}

#[derive(Debug, clap::Args)]
pub struct Target {
    /// The ssh destination where the gateway runs (USER@HOST or an ssh config alias).
    #[arg(long = "ssh", value_name = "USER@HOST")]
    ssh: String,
    /// The gateway's URL as seen from this machine (default: http://HOST:8080).
    #[arg(long)]
    server: Option<String>,
    /// How to run gateway on the host (shell text), e.g.
    /// 'sudo -u gateway gateway --config /etc/gateway/gateway.yaml'.
    #[arg(long, default_value = "gateway")]
    remote_command: String,
    /// The token's name on the server (default: "gateway remote on <this host>").
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    #[command(flatten)]
    target: Target,
    /// The new admin's e-mail.
    #[arg(long, default_value = "admin@local")]
    email: String,
    /// Read the new admin's password from standard input (default: generate a strong one and
    /// print it once).
    #[arg(long)]
    password_stdin: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    target: Target,
    /// The existing admin's e-mail.
    #[arg(long)]
    email: String,
}

pub async fn run(cmd: Command) -> Result<(), Failure> {
    match cmd {
        Command::Init(args) => init(args).await,
        Command::Login(args) => login(args).await,
    }
}

/// Everything checked before anything runs on the host.
struct Plan {
    remote: Remote,
    server: ServerUrl,
    email: String,
    name: String,
    store: CredentialStore,
}

fn plan(target: &Target, email: &str) -> Result<Plan, Failure> {
    let remote = Remote::new(&target.ssh, &target.remote_command).map_err(client_failure)?;
    let server = match server_arg(target.server.as_deref())? {
        Some(s) => s,
        None => ServerUrl::parse(&remote.default_server())
            .map_err(|e| Failure::config(anyhow::anyhow!("--ssh: {e}; give --server URL")))?,
    };
    let email = Email::parse(email)
        .map_err(|e| Failure::config(anyhow::anyhow!("--email: {e}")))?
        .to_string();
    let store = CredentialStore::from_env().map_err(client_failure)?;
    // A loose or broken credentials file stops us before anything changes on the host.
    store.load().map_err(client_failure)?;
    let name = target
        .name
        .clone()
        .unwrap_or_else(|| default_token_name("gateway remote"));
    Ok(Plan {
        remote,
        server,
        email,
        name,
        store,
    })
}

/// A strong password: four groups of six letters and digits (about 140 bits).
fn generate_password() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (&mut rng)
                .sample_iter(rand::distr::Alphanumeric)
                .take(6)
                .map(char::from)
                .collect()
        })
        .collect();
    groups.join("-")
}

fn confirm(question: &str) -> Result<(), Failure> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(anyhow::anyhow!("cancelled; nothing was changed").into())
    }
}

async fn init(args: InitArgs) -> Result<(), Failure> {
    let p = plan(&args.target, &args.email)?;
    let question = format!(
        "Create platform admin {} on {} (over ssh) and log this CLI in to {}?",
        p.email,
        p.remote.destination(),
        p.server
    );
    if !args.yes {
        if args.password_stdin || !std::io::stdin().is_terminal() {
            return Err(Failure::config(anyhow::anyhow!(
                "{question} Refusing without --yes: there is no terminal to confirm on"
            )));
        }
        confirm(&question)?;
    }
    let (password, generated) = if args.password_stdin {
        (read_password(true, "password")?, false)
    } else {
        (generate_password(), true)
    };
    let created = session::create_admin_over_ssh(&p.remote, &p.email, &password)
        .await
        .map_err(|e| {
            if !e.to_string().contains("already exists") {
                return client_failure(e);
            }
            Failure::from(anyhow::anyhow!(
                "{e}\n(for an admin that already exists, use `gateway remote login --ssh {} \
                 --email {}`)",
                p.remote.destination(),
                p.email
            ))
        })?;
    println!(
        "platform admin {} {} on {}",
        created.email,
        created.outcome,
        p.remote.destination()
    );
    let show_password = || {
        if generated {
            println!(
                "password of {}: {password}\n(shown once: store it now; sign in at {}/admin \
                 with it)",
                created.email, p.server
            );
        }
    };
    let minted = match session::mint_over_ssh(&p.remote, &p.email, &p.name).await {
        Ok(m) => m,
        Err(e) => {
            show_password();
            return Err(client_failure(e));
        }
    };
    show_password();
    finish(&p, minted).await
}

async fn login(args: LoginArgs) -> Result<(), Failure> {
    let p = plan(&args.target, &args.email)?;
    let minted = session::mint_over_ssh(&p.remote, &p.email, &p.name)
        .await
        .map_err(client_failure)?;
    finish(&p, minted).await
}

/// Saves the token as the login for the server, then checks it there when the server answers.
async fn finish(p: &Plan, minted: Minted) -> Result<(), Failure> {
    let id = minted.id.clone();
    let replaced = session::save(&p.store, &p.server, minted).map_err(client_failure)?;
    println!(
        "saved login for {} as {} (token id {id}) in {}",
        p.server,
        p.email,
        p.store.path().display()
    );
    let creds = p.store.load().map_err(client_failure)?;
    let (_, entry) = creds.select(Some(&p.server)).map_err(client_failure)?;
    match session::whoami(&p.server, &entry).await {
        Ok(me) => println!("verified: {}", describe(&me, &p.server)),
        Err(ClientError::Unreachable { detail, .. }) => {
            eprintln!(
                "warning: {} did not answer ({detail}), so the login is not verified yet; if \
                 the gateway is published elsewhere, run this again with --server URL",
                p.server
            );
            return Ok(());
        }
        Err(e) => {
            return Err(anyhow::anyhow!(
                "the login is saved, but {} refused it: {e}. Does --server point at the gateway \
                 running on {}?",
                p.server,
                p.remote.host()
            )
            .into());
        }
    }
    if let Some(old) = replaced.filter(|o| o.token_id != id)
        && let Err(e) = session::revoke_token(&p.server, &old).await
    {
        eprintln!(
            "warning: could not revoke the token this login replaces ({}): {e}",
            old.token_id
        );
    }
    Ok(())
}
