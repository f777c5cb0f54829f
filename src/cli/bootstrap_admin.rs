//! `gateway bootstrap-admin`: ensure the first platform admin exists. Never prints or logs
//! the password.

use std::path::Path;

use super::{Failure, load, open, require_current_schema};
use crate::config::Loaded;
use crate::identity::Email;
use crate::identity::bootstrap::{self, BootstrapOutcome, BootstrapRequest};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(config: &Path, _args: Args) -> Result<(), Failure> {
    let loaded = load(config)?;
    let store = open(&loaded).await?;
    require_current_schema(&store).await?;
    let line = ensure(&store, &loaded).await?;
    println!("{line}");
    store.close().await;
    Ok(())
}

/// Shared with `serve`: runs bootstrap per config and returns the line to report.
pub async fn ensure(store: &Store, loaded: &Loaded) -> Result<String, Failure> {
    let cfg = &loaded.config.auth.bootstrap_admin;
    if !cfg.enabled {
        return Ok(
            "bootstrap admin is disabled (auth.bootstrap_admin.enabled: false); nothing to do"
                .into(),
        );
    }
    let email = Email::parse(&cfg.email).map_err(|e| {
        Failure::config(anyhow::anyhow!(
            "auth.bootstrap_admin.email: {e} — set it in {} or via GATEWAY_BOOTSTRAP_ADMIN_EMAIL",
            loaded.path.display()
        ))
    })?;
    let req = BootstrapRequest {
        email: email.clone(),
        name: cfg.name.clone(),
        password: cfg.password.expose().map(str::to_owned),
        require_password_change: cfg.require_password_change,
        local_database: !loaded.db.is_postgres(),
    };
    match bootstrap::ensure_admin(store, &req).await {
        Ok(BootstrapOutcome::Created { .. }) | Ok(BootstrapOutcome::Activated { .. }) => {
            let rotation = if req.require_password_change {
                " (must change password at first sign-in)"
            } else {
                ""
            };
            tracing::info!(email = %email, "bootstrap admin created");
            Ok(format!("created platform admin {email}{rotation}"))
        }
        Ok(BootstrapOutcome::AlreadyBootstrapped { active_admins }) => Ok(format!(
            "an active platform admin already exists ({active_admins}); nothing changed"
        )),
        Err(e) if e.is_config_error() => Err(Failure::config(e)),
        Err(e) => Err(e.into()),
    }
}
