//! Passwords: argon2id hashing on a blocking thread, verification, and the password policy
//! (length and deny-list) shared by bootstrap, the CLI and the admin UI.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Passwords shorter than this are weak, unless the `passwords.min_length` operational setting
/// says otherwise (see [`weakness_with`]); bootstrap always uses this.
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
    "qwerty",
    "qwertz",
    "azerty",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "master",
    "superman",
    "trustno",
    "login",
    "access",
    "default",
    "temp",
    "test",
    "guest",
    "user",
    "pass",
    "passwd",
    "passphrase",
    "correcthorsebatterystaple",
];

/// Why a password is weak at the default minimum length, phrased for the person choosing it.
pub fn weakness(password: &str) -> Option<String> {
    weakness_with(password, MIN_LENGTH)
}

/// Why a password is weak — well-known, a trivial pattern, or shorter than `min_length`
/// characters — phrased for the person choosing it.
pub fn weakness_with(password: &str, min_length: usize) -> Option<String> {
    let lower = password.to_lowercase();
    // "password1234", "Admin2024!!!": a well-known word padded with digits or symbols.
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    if DENY_LIST.contains(&lower.as_str()) || (!stem.is_empty() && DENY_LIST.contains(&stem)) {
        return Some("it is on the list of well-known passwords".into());
    }
    if is_trivial(&lower) {
        return Some("it is a repeated or sequential pattern".into());
    }
    let chars = password.chars().count();
    if chars < min_length {
        return Some(format!(
            "it has {chars} characters; at least {min_length} are required"
        ));
    }
    None
}

/// One repeated character, or a run of consecutive characters (`123456789012`, `abcdefghijkl`).
fn is_trivial(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 2 {
        return true;
    }
    let same = chars.iter().all(|c| *c == chars[0]);
    let step = |d: i64| {
        chars.windows(2).all(|w| {
            let (a, b) = (w[0] as i64, w[1] as i64);
            b - a == d
                || (w[0] == '9' && w[1] == '0' && d == 1)
                || (w[0] == '0' && w[1] == '9' && d == -1)
        })
    };
    same || step(1) || step(-1)
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
        for weak in [
            "password1234",
            "qwerty123456",
            "Admin2024!!!",
            "123456789012",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
        ] {
            assert!(weakness(weak).is_some(), "{weak} accepted");
        }
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
