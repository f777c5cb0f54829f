//! `gateway credentials create|list|revoke`: data-plane credentials, offline, through the same
//! domain functions the admin UI uses — or, with `--server URL` (or `GATEWAY_SERVER`), through
//! that gateway's admin API with the saved login (`credentials_remote.rs`). The key is printed
//! once and never logged; both ways print the same shapes.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::duration::expires_at;
use super::{Failure, load, open, require_current_schema};
use crate::credentials::Grants;
use crate::credentials::manage::{self, CredentialError, IssueRequest, OwnerSpec};
use crate::identity::Email;
use crate::store::rows::CredentialRow;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Issue a credential for a service account or a user; prints the key once.
    Create(CreateArgs),
    /// List credentials (never their secrets).
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a credential by id or public id; every replica refuses it within a second.
    Revoke {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
}

/// Where the command works: on the database (default) or through a gateway's API.
#[derive(Debug, clap::Args)]
pub struct Remote {
    /// Work through this gateway's admin API with your saved login (`gateway login`),
    /// instead of directly on the database of --config.
    #[arg(long, env = "GATEWAY_SERVER")]
    pub server: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("owner").required(true).args(["service_account", "user"])))]
pub struct CreateArgs {
    /// Service account id (team-owned, non-human).
    #[arg(long)]
    pub service_account: Option<String>,
    /// E-mail of the user for a personal credential.
    #[arg(long)]
    pub user: Option<String>,
    /// For personal credentials: the team whose budgets apply (default: the user's only team).
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long)]
    pub name: String,
    /// Comma-separated model ids; default: every model.
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Lifetime such as 30d, 12h or 90m.
    #[arg(long)]
    pub expires: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub remote: Remote,
}

impl CreateArgs {
    /// The expiry asked for, from now.
    pub fn expires_at(&self) -> Result<Option<DateTime<Utc>>, Failure> {
        expires_at(self.expires.as_deref())
    }

    pub fn grants(&self) -> Grants {
        match &self.models {
            Some(m) => Grants::Models(m.iter().map(|s| s.trim().to_string()).collect()),
            None => Grants::All,
        }
    }
}

pub async fn run(config: &Path, cmd: Command) -> Result<(), Failure> {
    let server = match &cmd {
        Command::Create(CreateArgs { remote, .. })
        | Command::List { remote, .. }
        | Command::Revoke { remote, .. } => remote.server.clone(),
    };
    if let Some(server) = server {
        return super::credentials_remote::run(&server, cmd).await;
    }
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let result = match cmd {
        Command::Create(args) => create(&store, args).await,
        Command::List { json, .. } => list(&store, json).await,
        Command::Revoke { id, .. } => {
            manage::revoke(&store, &id, "cli").await.map_err(usage)?;
            println!("revoked {id}");
            Ok(())
        }
    };
    store.close().await;
    result
}

/// Mistakes in what the operator asked for are usage errors (exit 2).
fn usage(e: CredentialError) -> Failure {
    match e {
        CredentialError::Store(_) => e.into(),
        _ => Failure::config(e),
    }
}

async fn create(store: &crate::store::Store, args: CreateArgs) -> Result<(), Failure> {
    let owner = match (&args.service_account, &args.user) {
        (Some(sa), _) => OwnerSpec::ServiceAccount(sa.clone()),
        (None, Some(email)) => OwnerSpec::User(
            Email::parse(email).map_err(|e| Failure::config(anyhow::anyhow!("--user: {e}")))?,
        ),
        (None, None) => {
            return Err(Failure::config(anyhow::anyhow!(
                "give --service-account ID or --user EMAIL"
            )));
        }
    };
    let expires_at = args.expires_at()?;
    let grants = args.grants();
    let issued = manage::issue(
        store,
        IssueRequest {
            owner,
            name: args.name,
            grants: grants.clone(),
            expires_at,
            team: args.team,
            actor: "cli".into(),
        },
    )
    .await
    .map_err(usage)?;
    let key = issued.key.expose();
    let shown = Shown {
        id: &issued.id,
        public_id: issued.key.public_id(),
        key: &key,
        team_id: issued.team_id.as_deref(),
        grants: &grants,
        expires_at,
    };
    print_issued(&shown, args.json)
}

/// A credential just issued, as `credentials create` prints it.
pub struct Shown<'a> {
    pub id: &'a str,
    pub public_id: &'a str,
    pub key: &'a str,
    pub team_id: Option<&'a str>,
    pub grants: &'a Grants,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn print_issued(c: &Shown<'_>, json: bool) -> Result<(), Failure> {
    if json {
        let out = serde_json::json!({
            "id": c.id,
            "public_id": c.public_id,
            "key": c.key,
            "team_id": c.team_id,
            "grants": c.grants,
            "expires_at": c.expires_at,
        });
        println!("{out}");
    } else {
        println!("id:      {}", c.id);
        println!("team:    {}", c.team_id.unwrap_or("-"));
        println!("grants:  {}", c.grants.describe());
        println!("key:     {}", c.key);
        println!("The key is shown once; store it now.");
    }
    Ok(())
}

async fn list(store: &crate::store::Store, json: bool) -> Result<(), Failure> {
    let rows = manage::list(store).await.map_err(usage)?;
    print_rows(rows, json)
}

/// Credentials as `credentials list` prints them.
pub fn print_rows(rows: Vec<CredentialRow>, json: bool) -> Result<(), Failure> {
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:36}  {:16}  {:20}  {:24}  {:8}  STATUS",
        "ID", "PUBLIC ID", "NAME", "OWNER", "LAST4"
    );
    let now = crate::store::now();
    for r in rows {
        let owner = match (&r.service_account_id, &r.user_email) {
            (Some(sa), _) => format!("sa:{sa}"),
            (None, Some(u)) => format!("user:{u}"),
            _ => "-".into(),
        };
        let status = if r.revoked_at.is_some() {
            "revoked"
        } else if r.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        };
        println!(
            "{:36}  {:16}  {:20}  {:24}  {:8}  {status}",
            r.id, r.public_id, r.name, owner, r.last4
        );
    }
    Ok(())
}
