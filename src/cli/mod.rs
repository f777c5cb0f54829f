//! The command line: one file per subcommand (its `Args` and `run`), all sharing `--config`.
//! Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.

mod admin;
mod bootstrap_admin;
mod bootstrap_link;
mod config_check;
mod credentials;
mod credentials_remote;
mod demo;
mod duration;
mod login;
mod migrate;
mod password_input;
mod purge;
mod remote;
mod seed_config;
mod serve;
mod settings;
mod spend;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::{self, Loaded};
use crate::store::{Store, migrate as schema};

#[derive(Debug, Parser)]
#[command(name = "gateway", version, about = "An LLM gateway in one binary")]
pub struct Cli {
    /// Path of the YAML config file.
    #[arg(
        long,
        global = true,
        env = "GATEWAY_CONFIG",
        default_value = "config/gateway.yaml"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (optionally migrating, bootstrapping and seeding first).
    Serve(serve::Args),
    /// Show, check or apply database migrations.
    Migrate(migrate::Args),
    /// Reconcile teams, users, service accounts, providers, models and budgets from YAML.
    SeedConfig(seed_config::Args),
    /// Create the first platform admin if no active one exists.
    BootstrapAdmin(bootstrap_admin::Args),
    /// Offline operator commands on the database: admins, password recovery, control-plane
    /// tokens.
    #[command(subcommand)]
    Admin(admin::Command),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage data-plane credentials (service-account and personal API keys).
    #[command(subcommand)]
    Credentials(credentials::Command),
    /// Delete old request logs in batches (the usage ledger is kept).
    PurgeRequestLogs(purge::Args),
    /// Show spend from the usage ledger by team, user, service account or model.
    Spend(spend::Args),
    /// Log this CLI in to a running gateway (saves a control-plane token in credentials.toml).
    Login(login::LoginArgs),
    /// Revoke the saved token on the server and forget the login.
    Logout(login::LogoutArgs),
    /// Show who the saved login is on the server.
    Whoami(login::WhoamiArgs),
    /// Set up this CLI for a server over ssh: create its first admin, or mint a token.
    #[command(subcommand)]
    Remote(remote::Command),
    /// Operational settings kept in the database: list them, or import them from a YAML file.
    #[command(subcommand)]
    Settings(settings::Command),
    /// The local demo dataset (teams, people, keys, budgets, sample traffic).
    #[command(subcommand)]
    Demo(demo::Command),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the config, then print it with every secret redacted.
    Check(config_check::Args),
}

/// A failed command: the message to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    /// A usage or configuration problem (exit 2).
    pub fn config(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: error.into(),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            code: 1,
            error: e.into(),
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.config, args).await,
        Command::Migrate(args) => migrate::run(&cli.config, args).await,
        Command::SeedConfig(args) => seed_config::run(&cli.config, args).await,
        Command::BootstrapAdmin(args) => bootstrap_admin::run(&cli.config, args).await,
        Command::Admin(cmd) => admin::run(&cli.config, cmd).await,
        Command::Config(ConfigCommand::Check(args)) => config_check::run(&cli.config, args),
        Command::Credentials(cmd) => credentials::run(&cli.config, cmd).await,
        Command::PurgeRequestLogs(args) => purge::run(&cli.config, args).await,
        Command::Spend(args) => spend::run(&cli.config, args).await,
        Command::Login(args) => login::login(args).await,
        Command::Logout(args) => login::logout(args).await,
        Command::Whoami(args) => login::whoami(args).await,
        Command::Remote(cmd) => remote::run(cmd).await,
        Command::Settings(cmd) => settings::run(&cli.config, cmd).await,
        Command::Demo(cmd) => demo::run(&cli.config, cmd).await,
    }
}

/// Loads and validates the config, installs logging, and logs the config's warnings.
fn load(path: &Path) -> Result<Loaded, Failure> {
    let loaded = config::load_from_process_env(path).map_err(Failure::config)?;
    crate::telemetry::init(loaded.config.server.log_format);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded)
}

async fn open(loaded: &Loaded) -> Result<Store, Failure> {
    Store::open(&loaded.db).await.map_err(|e| {
        anyhow::anyhow!("cannot open database {}: {e}", loaded.db.display_redacted()).into()
    })
}

/// Refuses to go on when the schema is not exactly what this binary expects.
async fn require_current_schema(store: &Store) -> Result<(), Failure> {
    let status = schema::status(store).await?;
    status.refuse_unknown()?;
    if !status.pending.is_empty() {
        let names: Vec<String> = status.pending.iter().map(ToString::to_string).collect();
        return Err(anyhow::anyhow!(
            "the database schema has {} pending migration(s): {}. Run `gateway migrate --apply` \
             (or start `gateway serve` with GATEWAY_RUN_MIGRATIONS=true)",
            names.len(),
            names.join(", ")
        )
        .into());
    }
    Ok(())
}
