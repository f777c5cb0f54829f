//! [`Email`]: a normalised (trimmed, lower-case) e-mail address. A value that exists is valid.

use std::fmt;

/// An e-mail address as the gateway stores and compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain` with no whitespace; `admin@local` is fine (no dot required).
    pub fn parse(input: &str) -> Result<Email, String> {
        let s = input.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else {
            return Err(format!(
                "{input:?} is not an e-mail address (expected name@domain)"
            ));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(format!(
                "{input:?} is not an e-mail address (expected name@domain)"
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{input:?} contains whitespace"));
        }
        if s.len() > 254 {
            return Err("e-mail address is longer than 254 characters".into());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Admin@Local ").unwrap().as_str(),
            "admin@local"
        );
    }

    #[test]
    fn parse_rejects_what_is_not_an_address() {
        for bad in ["", "admin", "@x", "x@", "a@b@c", "a b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
