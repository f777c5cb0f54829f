//! `gateway seed-config`: reconcile the database with the YAML catalogue and identities.

use std::path::Path;

use super::{Failure, load, open, require_current_schema};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(config: &Path, args: Args) -> Result<(), Failure> {
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let report = crate::seed::seed(&store, &loaded.config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    store.close().await;
    Ok(())
}
