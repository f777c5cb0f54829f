//! `gateway credentials create|list|revoke`: data-plane credentials, offline, through the same
//! domain functions the admin UI uses. The key is printed once and never logged.

use std::path::Path;

use super::duration::parse_duration;
use super::{Failure, load, open, require_current_schema};
use crate::credentials::Grants;
use crate::credentials::manage::{self, CredentialError, IssueRequest, OwnerSpec};
use crate::identity::Email;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Issue a credential for a service account or a user; prints the key once.
    Create(CreateArgs),
    /// List credentials (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a credential by id or public id; every replica refuses it within a second.
    Revoke { id: String },
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("owner").required(true).args(["service_account", "user"])))]
pub struct CreateArgs {
    /// Service account id (team-owned, non-human).
    #[arg(long)]
    service_account: Option<String>,
    /// E-mail of the user for a personal credential.
    #[arg(long)]
    user: Option<String>,
    /// For personal credentials: the team whose budgets apply (default: the user's only team).
    #[arg(long)]
    team: Option<String>,
    #[arg(long)]
    name: String,
    /// Comma-separated model ids; default: every model.
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Lifetime such as 30d, 12h or 90m.
    #[arg(long)]
    expires: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(config: &Path, cmd: Command) -> Result<(), Failure> {
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let result = match cmd {
        Command::Create(args) => create(&store, args).await,
        Command::List { json } => list(&store, json).await,
        Command::Revoke { id } => {
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
    let owner = match (args.service_account, args.user) {
        (Some(sa), _) => OwnerSpec::ServiceAccount(sa),
        (None, Some(email)) => OwnerSpec::User(
            Email::parse(&email).map_err(|e| Failure::config(anyhow::anyhow!("--user: {e}")))?,
        ),
        (None, None) => {
            return Err(Failure::config(anyhow::anyhow!(
                "give --service-account ID or --user EMAIL"
            )));
        }
    };
    let expires_at = match &args.expires {
        Some(text) => {
            let d = parse_duration(text)
                .map_err(|e| Failure::config(anyhow::anyhow!("--expires: {e}")))?;
            Some(crate::store::now() + d)
        }
        None => None,
    };
    let grants = match args.models {
        Some(m) => Grants::Models(m.into_iter().map(|s| s.trim().to_string()).collect()),
        None => Grants::All,
    };
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
    if args.json {
        let out = serde_json::json!({
            "id": issued.id,
            "public_id": issued.key.public_id(),
            "key": issued.key.expose(),
            "team_id": issued.team_id,
            "grants": grants,
            "expires_at": expires_at,
        });
        println!("{out}");
    } else {
        println!("id:      {}", issued.id);
        println!("team:    {}", issued.team_id.as_deref().unwrap_or("-"));
        println!("grants:  {}", grants.describe());
        println!("key:     {}", issued.key.expose());
        println!("The key is shown once; store it now.");
    }
    Ok(())
}

async fn list(store: &crate::store::Store, json: bool) -> Result<(), Failure> {
    let rows = manage::list(store).await.map_err(usage)?;
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
