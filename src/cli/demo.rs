//! `gateway demo reset [--force] [--credentials-file PATH]`, and the demo step of
//! `gateway serve` (seed once when the local SQLite file was new). Both call
//! [`crate::demo::reset`]; this file only decides whether to, and prints the keys once.

use std::path::{Path, PathBuf};

use super::{Failure, load, open, require_current_schema};
use crate::config::Loaded;
use crate::demo::{self, DemoError, keyfile};
use crate::store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Delete the demo teams, people, credentials, budgets and sample history, then seed them
    /// again. Other data (the bootstrap admin, config-seeded rows) is left alone.
    Reset(ResetArgs),
}

#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// Also seed a PostgreSQL database (refused otherwise: the demo publishes a password and
    /// live keys).
    #[arg(long)]
    pub force: bool,
    /// Where to write the demo keys (mode 0600); default: demo-credentials.json beside the
    /// SQLite file, or in the current directory for PostgreSQL.
    #[arg(long, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,
}

pub async fn run(config: &Path, cmd: Command) -> Result<(), Failure> {
    let Command::Reset(args) = cmd;
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    // Refuse before touching anything else, e.g. a PostgreSQL schema that is behind.
    if let Err(e) = demo::allowed(&store, args.force) {
        store.close().await;
        return Err(Failure::config(e));
    }
    require_current_schema(&store).await?;
    let file = args
        .credentials_file
        .unwrap_or_else(|| keyfile::default_path(&loaded.db));
    let result = seed(&store, &loaded, args.force, &file, true).await;
    store.close().await;
    result.map(|_| ())
}

/// `serve`'s demo step, run after migrate, bootstrap-admin and seed-config. `was_new`: the
/// SQLite file did not exist before this process opened it.
pub async fn on_start(store: &Store, loaded: &Loaded, was_new: bool) -> Result<(), Failure> {
    if !loaded.config.demo.seed_when_new {
        return Ok(());
    }
    if loaded.db.is_postgres() {
        tracing::warn!(
            "demo.seed_when_new only applies to a new local SQLite file; not seeding PostgreSQL \
             (`gateway demo reset --force` does that on purpose)"
        );
        return Ok(());
    }
    if !was_new {
        tracing::info!(
            "demo: the database existed before this start, so the demo dataset was not \
             seeded again (`gateway demo reset` recreates it)"
        );
        return Ok(());
    }
    let file = keyfile::default_path(&loaded.db);
    seed(store, loaded, false, &file, false).await.map(|_| ())
}

/// Resets the dataset, writes the key file and prints the summary once. A file that cannot be
/// written fails the command when `file_required` (after the keys were printed: they are the
/// only copy), and is only a warning otherwise.
async fn seed(
    store: &Store,
    loaded: &Loaded,
    force: bool,
    file: &Path,
    file_required: bool,
) -> Result<demo::Seeded, Failure> {
    let seeded = demo::reset(store, force).await.map_err(|e| match e {
        DemoError::PostgresNotForced => Failure::config(e),
        other => anyhow::Error::new(other)
            .context("cannot seed the demo dataset (`gateway demo reset` tries again)")
            .into(),
    })?;
    if !seeded.removed.is_empty() {
        let r = seeded.removed;
        println!(
            "removed the previous demo data: {} teams, {} people, {} service accounts, {} \
             credentials, {} budgets, {} request logs, {} ledger rows",
            r.teams,
            r.users,
            r.service_accounts,
            r.credentials,
            r.budgets,
            r.request_logs,
            r.ledger_rows
        );
    }
    let public_url = &loaded.config.server.public_url;
    let written = keyfile::write(file, &seeded, public_url);
    match &written {
        Ok(()) => tracing::info!(file = %file.display(), "demo: credentials written (mode 0600)"),
        Err(e) => tracing::warn!(
            file = %file.display(), error = %e, "demo: cannot write the credentials file"
        ),
    }
    let shown = written.is_ok().then_some(file);
    print!("{}", keyfile::summary(&seeded, shown, public_url));
    if let Err(e) = written
        && file_required
    {
        return Err(anyhow::anyhow!(
            "the demo dataset was reset, but its credentials file {} could not be written ({e}); \
             the keys printed above are the only copy",
            file.display()
        )
        .into());
    }
    Ok(seeded)
}
