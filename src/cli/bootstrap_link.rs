//! `serve`'s last startup action: arm the one-time bootstrap link when `GATEWAY_BOOTSTRAP_LINK`
//! is on and no active admin exists, and log where the token file is and which URL to open —
//! never the token. Not a subcommand: the link lives only as long as the server.

use std::path::PathBuf;

use super::Failure;
use crate::config::Config;
use crate::identity::bootstrap_link::{ArmError, Arming, BootstrapLink, token_file};
use crate::store::Store;

/// The configured token file, or the default, made absolute for the log line.
fn token_path(config: &Config) -> PathBuf {
    let configured = &config.auth.bootstrap_link.token_file;
    let path = if configured.trim().is_empty() {
        token_file::default_path(std::env::var_os("XDG_RUNTIME_DIR").as_deref())
    } else {
        PathBuf::from(configured)
    };
    std::path::absolute(&path).unwrap_or(path)
}

/// Arms `link` if the toggle is on and no active admin exists.
pub async fn arm(store: &Store, link: &BootstrapLink, config: &Config) -> Result<(), Failure> {
    if !config.startup.bootstrap_link {
        return Ok(());
    }
    let path = token_path(config);
    match link.arm(store, &path).await {
        Ok(Arming::Armed { file }) => {
            let base = config.server.public_url.trim_end_matches('/');
            tracing::info!(
                token_file = %file.display(),
                url = %format!("{base}/admin/bootstrap"),
                api = %format!("{base}/api/v1/bootstrap"),
                "bootstrap link armed: read the one-time token from the file (mode 0600) and \
                 open the URL to create the first admin; it works once"
            );
            Ok(())
        }
        Ok(Arming::AdminExists { active_admins }) => {
            tracing::info!(
                active_admins,
                "bootstrap link not armed: an active platform admin exists"
            );
            Ok(())
        }
        Err(ArmError::File(e)) => Err(Failure::config(anyhow::anyhow!(
            "{e} (the bootstrap link's token file: set auth.bootstrap_link.token_file or \
             GATEWAY_BOOTSTRAP_TOKEN_FILE, or unset GATEWAY_BOOTSTRAP_LINK)"
        ))),
        Err(ArmError::Store(e)) => Err(anyhow::Error::new(e)
            .context("cannot arm the bootstrap link")
            .into()),
    }
}
