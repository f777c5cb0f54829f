//! `gateway config check`: validate and print the effective config, secrets redacted.

use std::path::Path;

use super::Failure;
use crate::config;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(path: &Path, _args: Args) -> Result<(), Failure> {
    let loaded = config::load_from_process_env(path).map_err(Failure::config)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", config::render_redacted(&loaded.config));
    eprintln!("config {} is valid", path.display());
    Ok(())
}
