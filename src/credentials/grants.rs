//! Model grants of a credential: every model its owner may use, or an explicit list.

use serde::Serialize;

/// Which models a credential may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Grants {
    All,
    Models(Vec<String>),
}

impl Grants {
    /// Stored form: `None` for all, else a JSON array.
    pub fn to_column(&self) -> Option<String> {
        match self {
            Grants::All => None,
            Grants::Models(m) => Some(serde_json::to_string(m).unwrap_or_else(|_| "[]".into())),
        }
    }

    /// Reads the stored form; an unreadable list grants nothing (fail closed).
    pub fn from_column(col: Option<&str>) -> Grants {
        match col {
            None => Grants::All,
            Some(s) => Grants::Models(serde_json::from_str(s).unwrap_or_default()),
        }
    }

    /// Whether the credential may call `requested` (which resolves to `target`).
    pub fn allows(&self, requested: &str, target: &str) -> bool {
        match self {
            Grants::All => true,
            Grants::Models(m) => m.iter().any(|g| g == requested || g == target),
        }
    }

    /// For display: `all` or the comma-separated list.
    pub fn describe(&self) -> String {
        match self {
            Grants::All => "all".into(),
            Grants::Models(m) => m.join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_grants_allow_the_alias_or_its_target_only() {
        let g = Grants::Models(vec!["small".into()]);
        assert!(g.allows("small", "small"));
        assert!(g.allows("default", "small"));
        assert!(!g.allows("large", "large"));
        assert!(Grants::All.allows("anything", "anything"));
    }

    #[test]
    fn grants_round_trip_through_the_column_and_garbage_grants_nothing() {
        for g in [Grants::All, Grants::Models(vec!["a".into(), "b".into()])] {
            assert_eq!(Grants::from_column(g.to_column().as_deref()), g);
        }
        assert_eq!(
            Grants::from_column(Some("not json")),
            Grants::Models(vec![])
        );
    }
}
