//! `gateway settings list [--json]` and `gateway settings import --from FILE [--dry-run]
//! [--json]`: operational settings, offline, through the same domain functions as the admin
//! API; and `serve`'s settings step (seed the defaults, warn about operational keys in the
//! config file). Running servers pick up an import within seconds.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Failure, load, open, require_current_schema};
use crate::config::Loaded;
use crate::identity::IdentityError;
use crate::settings::manage::{self, Change};
use crate::settings::yaml;
use crate::store::Store;

/// The audit actor of `gateway settings import`.
const IMPORTER: &str = "system:settings-import";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every operational setting with its value and origin (seeded, explicit, default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Copy the operational settings found in a YAML file (config keys such as
    /// request_logs.capture, or a `settings:` mapping of setting keys) into the database as
    /// explicit values, with an audit row each.
    Import {
        /// The YAML file to read.
        #[arg(long = "from", value_name = "FILE")]
        from: PathBuf,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: &Path, cmd: Command) -> Result<(), Failure> {
    // Read the import file first: a missing one is a usage error, whatever the database.
    let found = match &cmd {
        Command::Import { from, .. } => Some(read(from)?),
        Command::List { .. } => None,
    };
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let result = match cmd {
        Command::List { json } => list(&store, json).await,
        Command::Import {
            from,
            dry_run,
            json,
        } => import(&store, &from, found.unwrap_or_default(), dry_run, json).await,
    };
    store.close().await;
    result
}

/// `serve`'s settings step, after migrations: seed missing defaults, then warn about every
/// operational key in the config file.
pub async fn on_start(store: &Store, loaded: &Loaded) -> Result<(), Failure> {
    let seeded = manage::seed(store).await?;
    if !seeded.is_empty() {
        tracing::info!(keys = ?seeded, "operational settings seeded with their defaults");
    }
    if let Ok(text) = std::fs::read_to_string(&loaded.path) {
        for w in yaml::warnings(&loaded.path, &text) {
            tracing::warn!("{w}");
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<(String, Value)>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::config(anyhow::anyhow!(
            "--from {}: cannot read: {e}",
            path.display()
        ))
    })?;
    let found = yaml::find(&text)
        .map_err(|e| Failure::config(anyhow::anyhow!("--from {}: {e}", path.display())))?;
    Ok(found.into_iter().map(|f| (f.key, f.value)).collect())
}

async fn list(store: &Store, json: bool) -> Result<(), Failure> {
    let all = manage::list_all(store).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    let width = all.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for s in &all {
        println!("{:width$}  {:<9}  {}", s.key, s.origin, s.value);
    }
    Ok(())
}

async fn import(
    store: &Store,
    from: &Path,
    values: Vec<(String, Value)>,
    dry_run: bool,
    json: bool,
) -> Result<(), Failure> {
    let report = match manage::import(store, &values, dry_run, IMPORTER).await {
        Ok(r) => r,
        Err(IdentityError::Invalid(problems)) => {
            return Err(Failure::config(anyhow::anyhow!(
                "--from {}: nothing imported:\n{problems}",
                from.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if report.changes.is_empty() {
        println!("no operational settings in {}", from.display());
        return Ok(());
    }
    for c in &report.changes {
        println!("{}", line(c, dry_run));
    }
    let changed = report.changes.iter().filter(|c| c.changed).count();
    let unchanged = report.changes.len() - changed;
    if dry_run {
        println!("dry run: would set {changed}, {unchanged} unchanged; nothing written");
    } else {
        println!("set {changed}, {unchanged} unchanged; running gateways apply it within seconds");
    }
    Ok(())
}

fn line(c: &Change, dry_run: bool) -> String {
    if !c.changed {
        return format!("{}: {} (explicit), unchanged", c.key, c.to);
    }
    let verb = if dry_run { "would set" } else { "set" };
    format!(
        "{}: {verb} {} (was {}, {})",
        c.key, c.to, c.from, c.from_origin
    )
}
