//! `gateway admin …`: offline operator commands that work with the server down, directly on the
//! database — create an admin, list admins, reset a password (recovery), mint and revoke
//! control-plane tokens. Passwords come from stdin or a hidden prompt, never argv; secrets are
//! printed once; `--json` for automation (`gateway remote init` runs these over ssh).

use std::path::Path;

use serde_json::json;

use super::duration::expires_at;
use super::password_input::read_password;
use super::{Failure, load, open, require_current_schema};
use crate::identity::IdentityError;
use crate::identity::admin_tokens;
use crate::identity::recovery::{self, CLI_ACTOR};
use crate::store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an active platform admin (or activate an invited user as one).
    Create {
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// Make the admin choose a new password at first sign-in.
        #[arg(long)]
        must_change_password: bool,
        #[arg(long)]
        json: bool,
    },
    /// List platform admins.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a new password for a user (recovery); ends their sessions and lifts their lockout.
    ResetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        must_change_password: bool,
        #[arg(long)]
        json: bool,
    },
    /// Mint a control-plane token (gwa_…) acting as this user on /api/v1/admin/*; shown once.
    Token {
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Lifetime such as 30d, 12h or 90m (default: no expiry).
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List control-plane tokens (never their secrets), optionally of one user.
    Tokens {
        email: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a control-plane token by id or public id.
    RevokeToken { id: String },
}

pub async fn run(config: &Path, cmd: Command) -> Result<(), Failure> {
    let loaded = load(config)?;
    // Read the password before touching the database, so a bad prompt changes nothing.
    let password = match &cmd {
        Command::Create { password_stdin, .. } | Command::ResetPassword { password_stdin, .. } => {
            Some(read_password(*password_stdin, "new password")?)
        }
        _ => None,
    };
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let result = execute(&store, cmd, password.as_deref()).await;
    store.close().await;
    result
}

/// Mistakes in what the operator asked for exit 2; database trouble exits 1.
fn failure(e: IdentityError) -> Failure {
    match e {
        IdentityError::Store(_) | IdentityError::Internal(_) => e.into(),
        _ => Failure::config(e),
    }
}

async fn execute(store: &Store, cmd: Command, password: Option<&str>) -> Result<(), Failure> {
    let password = password.unwrap_or_default();
    match cmd {
        Command::Create {
            email,
            name,
            must_change_password,
            json,
            ..
        } => {
            let (id, outcome) = recovery::create_admin(
                store,
                &email,
                name.as_deref(),
                password,
                must_change_password,
            )
            .await
            .map_err(failure)?;
            let email = email.trim().to_lowercase();
            if json {
                println!(
                    "{}",
                    json!({"user_id": id, "email": email, "outcome": outcome})
                );
            } else {
                println!("platform admin {email} is ready (id {id}); sign in at /admin");
            }
        }
        Command::List { json } => {
            let admins = recovery::list_admins(store).await.map_err(failure)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&admins)?);
            } else {
                println!(
                    "{:<26} {:<32} {:<9} {:<6} origin",
                    "id", "email", "status", "rotate"
                );
                for a in admins {
                    println!(
                        "{:<26} {:<32} {:<9} {:<6} {}",
                        a.id, a.email, a.status, a.must_change_password, a.origin
                    );
                }
            }
        }
        Command::ResetPassword {
            email,
            must_change_password,
            json,
            ..
        } => {
            let ended = recovery::reset_password(store, &email, password, must_change_password)
                .await
                .map_err(failure)?;
            let email = email.trim().to_lowercase();
            if json {
                println!("{}", json!({"email": email, "sessions_ended": ended}));
            } else {
                println!("password of {email} reset; {ended} session(s) ended");
            }
        }
        Command::Token {
            email,
            name,
            expires,
            json,
        } => {
            let expires_at = expires_at(expires.as_deref())?;
            let minted = admin_tokens::mint_for_email(store, &email, &name, expires_at, CLI_ACTOR)
                .await
                .map_err(failure)?;
            if json {
                let out = json!({"id": minted.id, "token": minted.token, "email": minted.email,
                    "name": minted.name, "expires_at": minted.expires_at});
                println!("{out}");
            } else {
                println!("{}", minted.token);
                eprintln!(
                    "control-plane token {} for {} (shown once; use it as \
                     `Authorization: Bearer …` on /api/v1/admin/*)",
                    minted.id, minted.email
                );
            }
        }
        Command::Tokens { email, json } => {
            let user = match email {
                Some(e) => Some(
                    store
                        .conn()
                        .await?
                        .ex()
                        .find_user_by_email(&e.trim().to_lowercase())
                        .await?
                        .ok_or_else(|| Failure::config(anyhow::anyhow!("no user {e}")))?
                        .id,
                ),
                None => None,
            };
            let tokens = admin_tokens::list(store, user.as_deref())
                .await
                .map_err(failure)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                for t in tokens {
                    println!(
                        "{:<26} {:<24} {:<8} {} {}",
                        t.id, t.prefix, t.status, t.email, t.name
                    );
                }
            }
        }
        Command::RevokeToken { id } => {
            admin_tokens::revoke(store, None, &id)
                .await
                .map_err(failure)?;
            println!("revoked control-plane token {id}");
        }
    }
    Ok(())
}
