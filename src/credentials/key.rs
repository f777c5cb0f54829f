//! The key formats: data-plane credentials `gw_<public id>_<secret>` and control-plane tokens
//! `gwa_<public id>_<secret>` (distinct prefixes, so neither can be mistaken for the other).
//!
//! The public id (16 lower-case alphanumerics) finds the row; the secret (44 alphanumerics,
//! ~262 bits) is stored only as its SHA-256 and compared in constant time.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of data-plane credentials.
pub const DATA_PLANE: &str = "gw_";
/// Prefix of control-plane tokens (`gateway admin token`).
pub const CONTROL_PLANE: &str = "gwa_";
const PUBLIC_ID_LEN: usize = 16;
const SECRET_LEN: usize = 44;

/// A full key as the client presents it. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    prefix: &'static str,
    public_id: String,
    secret: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({}{}_<redacted>)", self.prefix, self.public_id)
    }
}

impl ApiKey {
    /// A fresh random data-plane key.
    pub fn generate() -> ApiKey {
        ApiKey::generate_with(DATA_PLANE)
    }

    /// A fresh random key with the given prefix ([`DATA_PLANE`] or [`CONTROL_PLANE`]).
    pub fn generate_with(prefix: &'static str) -> ApiKey {
        let mut rng = rand::rng();
        let public_id: String = (0..PUBLIC_ID_LEN)
            .map(|_| rng.sample(Alphanumeric) as char)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let secret: String = (0..SECRET_LEN)
            .map(|_| rng.sample(Alphanumeric) as char)
            .collect();
        ApiKey {
            prefix,
            public_id,
            secret,
        }
    }

    /// Parses a presented data-plane key; `None` when it is not in the gateway's format.
    pub fn parse(raw: &str) -> Option<ApiKey> {
        ApiKey::parse_with(raw, DATA_PLANE)
    }

    /// Parses a presented key with the given prefix.
    pub fn parse_with(raw: &str, prefix: &'static str) -> Option<ApiKey> {
        let rest = raw.trim().strip_prefix(prefix)?;
        let (public_id, secret) = rest.split_once('_')?;
        let valid_id = public_id.len() == PUBLIC_ID_LEN
            && public_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let valid_secret =
            secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric());
        (valid_id && valid_secret).then(|| ApiKey {
            prefix,
            public_id: public_id.to_string(),
            secret: secret.to_string(),
        })
    }

    pub fn public_id(&self) -> &str {
        &self.public_id
    }

    /// Last four characters of the secret, for display.
    pub fn last4(&self) -> String {
        self.secret[self.secret.len() - 4..].to_string()
    }

    /// SHA-256 of the secret part: what is stored.
    pub fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret.as_bytes()).into()
    }

    /// Constant-time comparison against a stored hash.
    pub fn matches(&self, stored: &[u8]) -> bool {
        stored.len() == 32 && bool::from(self.secret_hash().as_slice().ct_eq(stored))
    }

    /// The full key, to show exactly once.
    pub fn expose(&self) -> String {
        format!("{}{}_{}", self.prefix, self.public_id, self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_back_and_matches_its_hash() {
        let key = ApiKey::generate();
        let parsed = ApiKey::parse(&key.expose()).expect("parses");
        assert_eq!(parsed, key);
        assert!(parsed.matches(&key.secret_hash()));
        assert!(!ApiKey::generate().matches(&key.secret_hash()));
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let good = ApiKey::generate().expose();
        for bad in [
            "",
            "sk-abc",
            "gw_",
            "gw_short_secret",
            &good[..good.len() - 1],
            &good.replace("gw_", "xx_"),
            &format!("{good}!"),
        ] {
            assert!(ApiKey::parse(bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn the_two_planes_never_accept_each_others_keys() {
        let admin = ApiKey::generate_with(CONTROL_PLANE);
        assert!(admin.expose().starts_with("gwa_"));
        assert!(ApiKey::parse(&admin.expose()).is_none());
        assert!(ApiKey::parse_with(&ApiKey::generate().expose(), CONTROL_PLANE).is_none());
        assert_eq!(
            ApiKey::parse_with(&admin.expose(), CONTROL_PLANE),
            Some(admin)
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKey::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.secret), "{shown}");
        assert!(shown.contains(key.public_id()));
    }
}
