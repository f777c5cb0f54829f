//! `gateway purge-request-logs --older-than 7d [--dry-run]`.

use std::path::Path;

use super::duration::parse_duration;
use super::{Failure, load, open, require_current_schema};
use crate::budgets::money::MicroUsd;
use crate::recording::retention;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Age of the newest rows to delete, e.g. 7d, 12h.
    #[arg(long)]
    older_than: String,
    /// Count what would be deleted; delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Rows deleted per transaction.
    #[arg(long, default_value_t = 5000)]
    batch_size: i64,
    #[arg(long)]
    json: bool,
}

pub async fn run(config: &Path, args: Args) -> Result<(), Failure> {
    let age = parse_duration(&args.older_than)
        .map_err(|e| Failure::config(anyhow::anyhow!("--older-than: {e}")))?;
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let cutoff = crate::store::now() - age;
    let report = retention::purge(&store, cutoff, args.batch_size, args.dry_run).await?;
    store.close().await;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else if report.dry_run {
        println!(
            "would delete {} request log rows older than {} (dry run; nothing deleted)",
            report.matched, report.cutoff
        );
    } else {
        println!(
            "deleted {} request log rows older than {} in {} batches",
            report.deleted, report.cutoff, report.batches
        );
        println!(
            "usage ledger untouched: total spend {}",
            MicroUsd::from_micros(report.ledger_total_micros)
        );
    }
    Ok(())
}
