//! The bootstrap link's token file. It is created in one step with mode 0600 (`O_CREAT|O_EXCL`,
//! so never through a symlink and never into an existing file). A file already at the path is
//! refused when it is a symlink, not a regular file, hard-linked elsewhere, or open to group or
//! others; a private (0600-style) regular file left by an earlier run is replaced. Nothing here
//! logs or returns the token.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The file name used when no path is configured.
pub const DEFAULT_NAME: &str = "gateway-bootstrap-token";

/// `$XDG_RUNTIME_DIR/gateway-bootstrap-token` when that directory is set (and absolute), else
/// `gateway-bootstrap-token` in the working directory.
pub fn default_path(runtime_dir: Option<&OsStr>) -> PathBuf {
    match runtime_dir.map(Path::new).filter(|d| d.is_absolute()) {
        Some(dir) => dir.join(DEFAULT_NAME),
        None => PathBuf::from(DEFAULT_NAME),
    }
}

/// Why the token could not be written. Messages name the path, never the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("{0} is a symbolic link; refusing to write the bootstrap token through it")]
    Symlink(String),
    #[error("{0} exists and is not a regular file")]
    NotRegular(String),
    #[error("{0} exists and has other hard links; refusing to replace it")]
    HardLinked(String),
    #[error(
        "{path} exists and is accessible to group or others (mode {mode:04o}); refusing to \
         reuse it: remove it, or choose a private path"
    )]
    Exposed { path: String, mode: u32 },
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TokenFileError + '_ {
    move |source| TokenFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses a pre-existing file at `path` unless it is a private regular file, which is removed
/// (a stale token from an earlier run).
fn clear_stale(path: &Path) -> Result<(), TokenFileError> {
    let shown = || path.display().to_string();
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path)(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(TokenFileError::Symlink(shown()));
    }
    if !meta.file_type().is_file() {
        return Err(TokenFileError::NotRegular(shown()));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(TokenFileError::Exposed {
            path: shown(),
            mode,
        });
    }
    if meta.nlink() > 1 {
        return Err(TokenFileError::HardLinked(shown()));
    }
    fs::remove_file(path).map_err(io_error(path))
}

/// Writes `token` (and a newline) to a new file at `path` with mode 0600.
pub fn write_new(path: &Path, token: &str) -> Result<(), TokenFileError> {
    clear_stale(path)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(path))?;
    let written = (|| {
        // The umask can only remove bits; this pins the mode whatever it was.
        file.set_permissions(Permissions::from_mode(0o600))?;
        file.write_all(token.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(path);
        return Err(io_error(path)(e));
    }
    Ok(())
}

/// Whether nothing exists at `path` any more (not even a dangling symlink).
pub fn is_gone(path: &Path) -> bool {
    matches!(fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// Deletes the token file; true when it no longer exists afterwards.
pub fn remove(path: &Path) -> bool {
    match fs::remove_file(path) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "could not delete the bootstrap token file");
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn a_new_file_holds_the_token_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        write_new(&path, "gwb_secret").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), "gwb_secret\n");
        assert!(remove(&path));
        assert!(!path.exists());
        assert!(remove(&path), "an absent file counts as deleted");
    }

    #[test]
    fn a_stale_private_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        write_new(&path, "old").unwrap();
        write_new(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_symlink_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "keep").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("t");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write_new(&link, "secret").unwrap_err();
        assert!(matches!(err, TokenFileError::Symlink(_)), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        // A dangling link is refused too.
        fs::remove_file(&target).unwrap();
        assert!(matches!(
            write_new(&link, "secret").unwrap_err(),
            TokenFileError::Symlink(_)
        ));
        assert!(!target.exists());
    }

    #[test]
    fn a_file_open_to_group_or_others_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        for m in [0o644, 0o640, 0o604, 0o620] {
            let path = dir.path().join(format!("t{m:o}"));
            fs::write(&path, "old").unwrap();
            fs::set_permissions(&path, Permissions::from_mode(m)).unwrap();
            let err = write_new(&path, "secret").unwrap_err();
            assert!(
                matches!(err, TokenFileError::Exposed { mode, .. } if mode == m),
                "{err}"
            );
            assert!(err.to_string().contains(&path.display().to_string()));
            assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        }
    }

    #[test]
    fn directories_and_hard_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("d");
        fs::create_dir(&sub).unwrap();
        assert!(matches!(
            write_new(&sub, "s").unwrap_err(),
            TokenFileError::NotRegular(_)
        ));
        let a = dir.path().join("a");
        write_new(&a, "old").unwrap();
        fs::hard_link(&a, dir.path().join("b")).unwrap();
        assert!(matches!(
            write_new(&a, "s").unwrap_err(),
            TokenFileError::HardLinked(_)
        ));
    }

    #[test]
    fn the_default_lives_in_the_runtime_dir_when_there_is_one() {
        assert_eq!(
            default_path(Some(OsStr::new("/run/user/1000"))),
            PathBuf::from("/run/user/1000/gateway-bootstrap-token")
        );
        assert_eq!(default_path(None), PathBuf::from(DEFAULT_NAME));
        assert_eq!(
            default_path(Some(OsStr::new("relative"))),
            PathBuf::from(DEFAULT_NAME)
        );
    }
}
