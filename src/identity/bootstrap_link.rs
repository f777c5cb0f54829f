//! The one-time bootstrap link, for deployments where only the server's logs and files are
//! reachable. `gateway serve` with `GATEWAY_BOOTSTRAP_LINK` on arms it while no active platform
//! admin exists: a 256-bit random token goes into a mode-0600 file ([`token_file`]) and only its
//! SHA-256 and the file's path stay in memory ([`BootstrapLink`]). Presenting the token (in a
//! form or JSON body, never a URL) creates the first admin and a control-plane token
//! ([`redeem`]); then the link is disarmed and the file deleted.
//!
//! The link is *open* only while it is armed here and the database still has no active admin;
//! otherwise callers must answer exactly as if it did not exist. No axum and no SQL here: the
//! handlers are `admin::pages::bootstrap` and `admin::api::bootstrap`.

mod redeem;
pub mod token_file;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

pub use redeem::{LinkRequest, Redeemed, redeem};
pub use token_file::TokenFileError;

use super::IdentityError;
use crate::store::{Store, StoreError};

/// Prefix of bootstrap tokens, so secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "gwb_";

/// What is kept while armed: never the token itself.
struct Armed {
    token_hash: [u8; 32],
    file: PathBuf,
}

/// The link's state in one process, shared by the handlers (`AppState`). Starts disarmed.
#[derive(Default)]
pub struct BootstrapLink {
    armed: Mutex<Option<Armed>>,
}

impl std::fmt::Debug for BootstrapLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapLink")
            .field("token_file", &self.armed_file())
            .finish_non_exhaustive()
    }
}

/// What [`BootstrapLink::arm`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arming {
    /// The token is in this file; the link is open.
    Armed { file: PathBuf },
    /// An active platform admin exists: nothing was written.
    AdminExists { active_admins: i64 },
}

/// Why the link could not be armed.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    #[error("cannot write the bootstrap token file: {0}")]
    File(#[from] TokenFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a presented token created nothing. Handlers map each to a status (see the variants).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Not armed here, or an admin exists: answer as if the route did not exist (404).
    #[error("not found")]
    NotArmed,
    /// Too many failures from this address (429).
    #[error("Too many attempts from this address. Try again in {minutes} minute(s).")]
    Throttled { minutes: i64 },
    /// The token does not match (401).
    #[error("The bootstrap token is not valid.")]
    WrongToken,
    /// The e-mail, name or password is not acceptable; the message names the field (400).
    #[error("{0}")]
    Invalid(String),
    /// The e-mail belongs to an account that cannot become the first admin (409).
    #[error("{0}")]
    Conflict(String),
    /// The database failed; nothing was created and the link stays armed (503). The detail is
    /// for the log.
    #[error("the database is unavailable; nothing was created, try again")]
    Unavailable(String),
    /// Anything else (500).
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => LinkError::Conflict(format!("conflict: {m}")),
            other => LinkError::Unavailable(other.to_string()),
        }
    }
}

impl From<IdentityError> for LinkError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Store(s) => s.into(),
            IdentityError::Invalid(m) => LinkError::Invalid(m),
            IdentityError::Conflict(m) => LinkError::Conflict(m),
            other => LinkError::Internal(other.to_string()),
        }
    }
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh `gwb_` token carrying 256 random bits.
fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", super::sessions::random_token())
}

impl BootstrapLink {
    fn state(&self) -> std::sync::MutexGuard<'_, Option<Armed>> {
        self.armed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Arms the link if no active platform admin exists: writes a fresh token to `file`
    /// (replacing a token of an earlier run) and keeps only its hash.
    pub async fn arm(&self, store: &Store, file: &Path) -> Result<Arming, ArmError> {
        let active_admins = store
            .conn()
            .await?
            .ex()
            .count_active_platform_admins()
            .await?;
        if active_admins > 0 {
            return Ok(Arming::AdminExists { active_admins });
        }
        let token = new_token();
        token_file::write_new(file, &token)?;
        *self.state() = Some(Armed {
            token_hash: sha256(&token),
            file: file.to_path_buf(),
        });
        Ok(Arming::Armed {
            file: file.to_path_buf(),
        })
    }

    /// The token file, while armed.
    pub fn armed_file(&self) -> Option<PathBuf> {
        self.state().as_ref().map(|a| a.file.clone())
    }

    /// The token's hash and the file, while armed.
    fn armed(&self) -> Option<([u8; 32], PathBuf)> {
        self.state()
            .as_ref()
            .map(|a| (a.token_hash, a.file.clone()))
    }

    /// Disarms (at shutdown: the token dies with the process) and deletes the token file.
    pub fn disarm(&self) {
        if let Some((file, deleted)) = self.retire() {
            tracing::info!(
                path = %file.display(),
                token_file_deleted = deleted,
                "bootstrap link disarmed at shutdown"
            );
        }
    }

    /// Disarms and deletes the token file; returns the file and whether it is gone.
    fn retire(&self) -> Option<(PathBuf, bool)> {
        let armed = self.state().take()?;
        let deleted = token_file::remove(&armed.file);
        Some((armed.file, deleted))
    }
}

/// Whether the link can be used now: armed in this process and still no active admin in the
/// database. Finding an admin (created by any path, on any replica) disarms it for good.
pub async fn is_open(store: &Store, link: &BootstrapLink) -> Result<bool, LinkError> {
    if link.armed().is_none() {
        return Ok(false);
    }
    let admins = store
        .conn()
        .await?
        .ex()
        .count_active_platform_admins()
        .await?;
    if admins > 0 {
        if let Some((file, deleted)) = link.retire() {
            tracing::info!(
                path = %file.display(),
                token_file_deleted = deleted,
                "bootstrap link disarmed: an active admin exists"
            );
        }
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_behind_the_prefix() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        let hex_part = a.strip_prefix(TOKEN_PREFIX).unwrap();
        assert_eq!(hex_part.len(), 64);
        assert!(hex_part.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn debug_shows_the_file_but_never_the_hash() {
        let link = BootstrapLink::default();
        *link.state() = Some(Armed {
            token_hash: [0xab; 32],
            file: PathBuf::from("/run/t"),
        });
        let shown = format!("{link:?}");
        assert!(shown.contains("/run/t"), "{shown}");
        assert!(!shown.contains("171") && !shown.contains("hash"), "{shown}");
    }
}
