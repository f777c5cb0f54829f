//! `gateway credentials create|list|revoke --server URL`: the same commands through a running
//! gateway's admin API, as the logged-in user (`gateway login`), printing what the offline
//! commands print. The work is in `client::credentials`; this file picks the login and prints.

use super::Failure;
use super::credentials::{Command, CreateArgs, Shown, print_issued, print_rows};
use super::login::{client_failure, server_arg, stale_login};
use crate::client::credentials::{self as remote, Owner};
use crate::client::{Api, ClientError, CredentialStore, ServerUrl};

pub async fn run(server: &str, cmd: Command) -> Result<(), Failure> {
    let wanted = server_arg(Some(server))?;
    let store = CredentialStore::from_env().map_err(client_failure)?;
    let (server, entry) = store
        .load()
        .and_then(|c| c.select(wanted.as_ref()))
        .map_err(client_failure)?;
    let api = Api::new(&server, Some(&entry.token)).map_err(client_failure)?;
    let fail = |e: ClientError| stale_login(e, &server);
    match cmd {
        Command::Create(args) => create(&api, &server, args).await,
        Command::List { json, .. } => print_rows(remote::list(&api).await.map_err(fail)?, json),
        Command::Revoke { id, .. } => {
            remote::revoke(&api, &id).await.map_err(fail)?;
            println!("revoked {id}");
            Ok(())
        }
    }
}

async fn create(api: &Api, server: &ServerUrl, args: CreateArgs) -> Result<(), Failure> {
    let owner = match (&args.service_account, &args.user) {
        (Some(sa), _) => Owner::ServiceAccount(sa.clone()),
        (None, Some(email)) => Owner::User(email.clone()),
        (None, None) => {
            return Err(Failure::config(anyhow::anyhow!(
                "give --service-account ID or --user EMAIL"
            )));
        }
    };
    let expires_at = args.expires_at()?;
    let grants = args.grants();
    let issued = remote::issue(
        api,
        &owner,
        &args.name,
        &grants,
        expires_at,
        args.team.as_deref(),
    )
    .await
    .map_err(|e| stale_login(e, server))?;
    let shown = Shown {
        id: &issued.id,
        public_id: &issued.public_id,
        key: &issued.key,
        team_id: issued.team_id.as_deref(),
        grants: &grants,
        expires_at,
    };
    print_issued(&shown, args.json)
}
