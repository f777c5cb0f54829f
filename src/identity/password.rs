//! Passwords: argon2id hashing on a blocking thread, verification, and the password policy
//! (length and deny-list) shared by bootstrap, the CLI and the admin UI.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Passwords shorter than this are weak.
pub const MIN_LENGTH: usize = 12;

/// Well-known passwords refused whatever their length (compared case-insensitively).
const DENY_LIST: &[&str] = &[
    "admin",
    "administrator",
    "password",
    "password1",
    "password123",
    "passw0rd",
    "changeme",
    "change-me",
    "changeme123",
    "letmein",
    "welcome",
    "secret",
    "root",
    "toor",
    "qwerty",
    "qwertyuiop",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "123456789012",
    "admin123",
    "admin@local",
    "gateway",
    "gatewayadmin",
];

/// Why a password is weak, phrased for the person choosing it.
pub fn weakness(password: &str) -> Option<String> {
    let lower = password.to_lowercase();
    if DENY_LIST.contains(&lower.as_str()) {
        return Some("it is on the list of well-known passwords".into());
    }
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(format!(
            "it has {chars} characters; at least {MIN_LENGTH} are required"
        ));
    }
    None
}

/// Hashes with argon2id (OWASP defaults) on a blocking thread; returns the PHC string.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a PHC string on a blocking thread. Malformed hashes never match.
pub async fn verify(password: &str, phc: &str) -> bool {
    let password = password.to_owned();
    let phc = phc.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_well_known_passwords_are_weak() {
        assert!(weakness("admin").is_some());
        assert!(weakness("ChangeMe").is_some());
        assert!(weakness("short-pw").is_some());
        assert!(weakness("correct horse battery").is_none());
    }

    #[tokio::test]
    async fn hash_verifies_only_the_same_password() {
        let phc = hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &phc).await);
        assert!(!verify("wrong horse battery", &phc).await);
        assert!(!verify("x", "not a phc string").await);
    }
}
