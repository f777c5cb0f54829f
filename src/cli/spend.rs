//! `gateway spend --by team|user|service-account|model [--days 30] [--json]`: spend from the
//! usage ledger, per key and UTC day.

use std::path::Path;

use super::{Failure, load, open, require_current_schema};
use crate::budgets::money::MicroUsd;
use crate::store::usage::SpendBy;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum By {
    Team,
    User,
    ServiceAccount,
    Model,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    by: By,
    /// How many days back from now.
    #[arg(long, default_value_t = 30)]
    days: i64,
    #[arg(long)]
    json: bool,
}

pub async fn run(config: &Path, args: Args) -> Result<(), Failure> {
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let by = match args.by {
        By::Team => SpendBy::Team,
        By::User => SpendBy::User,
        By::ServiceAccount => SpendBy::ServiceAccount,
        By::Model => SpendBy::Model,
    };
    let to = crate::store::now();
    let from = to - chrono::Duration::days(args.days.max(1));
    let rows = store.conn().await?.ex().spend_by(by, from, to).await?;
    store.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:10}  {:36}  {:>8}  {:>12}  UNPRICED",
        "DAY", "KEY", "REQUESTS", "SPEND"
    );
    for r in rows {
        println!(
            "{:10}  {:36}  {:>8}  {:>12}  {}",
            r.day,
            r.key,
            r.requests,
            MicroUsd::from_micros(r.cost_micros).to_string(),
            r.unpriced_requests
        );
    }
    Ok(())
}
