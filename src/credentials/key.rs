//! The data-plane key format: `gw_<public id>_<secret>`.
//!
//! The public id (16 lower-case alphanumerics) finds the row; the secret (44 alphanumerics,
//! ~262 bits) is stored only as its SHA-256 and compared in constant time.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "gw_";
const PUBLIC_ID_LEN: usize = 16;
const SECRET_LEN: usize = 44;

/// A full key as the client presents it. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    public_id: String,
    secret: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({PREFIX}{}_<redacted>)", self.public_id)
    }
}

impl ApiKey {
    /// A fresh random key.
    pub fn generate() -> ApiKey {
        let mut rng = rand::rng();
        let public_id: String = (0..PUBLIC_ID_LEN)
            .map(|_| rng.sample(Alphanumeric) as char)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let secret: String = (0..SECRET_LEN)
            .map(|_| rng.sample(Alphanumeric) as char)
            .collect();
        ApiKey { public_id, secret }
    }

    /// Parses a presented key; `None` when it is not in the gateway's format.
    pub fn parse(raw: &str) -> Option<ApiKey> {
        let rest = raw.trim().strip_prefix(PREFIX)?;
        let (public_id, secret) = rest.split_once('_')?;
        let valid_id = public_id.len() == PUBLIC_ID_LEN
            && public_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let valid_secret =
            secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric());
        (valid_id && valid_secret).then(|| ApiKey {
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
        format!("{PREFIX}{}_{}", self.public_id, self.secret)
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
    fn debug_never_shows_the_secret() {
        let key = ApiKey::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.secret), "{shown}");
        assert!(shown.contains(key.public_id()));
    }
}
