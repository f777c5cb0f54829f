//! `gateway migrate --status | --check | --apply`.

use std::path::Path;

use super::{Failure, load, open};
use crate::store::migrate;

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Args {
    /// List applied, pending and unknown migrations.
    #[arg(long)]
    status: bool,
    /// Exit 1 when any migration is pending (or unknown to this binary).
    #[arg(long)]
    check: bool,
    /// Apply pending migrations (safe to run from many processes at once).
    #[arg(long)]
    apply: bool,
}

pub async fn run(config: &Path, args: Args) -> Result<(), Failure> {
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    let result = if args.apply {
        apply(&store).await
    } else {
        let status = migrate::status(&store).await?;
        for m in &status.applied {
            let mark = if status.unknown.contains(m) {
                "unknown"
            } else {
                "applied"
            };
            println!("{mark:8} {m}");
        }
        for m in &status.pending {
            println!("pending  {m}");
        }
        if args.check && !(status.pending.is_empty() && status.unknown.is_empty()) {
            Err(anyhow::anyhow!(
                "{} pending and {} unknown migration(s)",
                status.pending.len(),
                status.unknown.len()
            )
            .into())
        } else {
            Ok(())
        }
    };
    store.close().await;
    result
}

async fn apply(store: &crate::store::Store) -> Result<(), Failure> {
    let applied = migrate::apply(store).await?;
    if applied.is_empty() {
        println!("schema is up to date");
    }
    for m in applied {
        println!("applied {m}");
    }
    Ok(())
}
