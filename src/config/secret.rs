//! Secret values and the references that point at them.
//!
//! [`SecretField`] is what a secret-valued YAML key holds: a reference (`env://NAME`,
//! `file:///abs/path`) or an inline literal, plus — after [`SecretField::resolve`] — the value.
//! [`Secret`] is a bare secret string for the rest of the crate. Neither ever prints its value
//! through `Debug`, `Display` or `Serialize`; only an explicit `expose()` reveals it.

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A secret string whose `Debug` is redacted. Read it with [`Secret::expose`], and only where
/// the value is actually needed (hashing, an upstream header, a database connection).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// Where a [`SecretField`]'s value comes from.
#[derive(Clone, Default, PartialEq, Eq)]
enum Source {
    #[default]
    Unset,
    /// `env://NAME`: read from the environment at load time.
    Env(String),
    /// `file:///abs/path`: the file's contents, whitespace-trimmed.
    File(String),
    /// Any other string: the value itself, written in the config file.
    Inline,
    /// Supplied by a `GATEWAY_*` overlay variable (already a value, not a reference).
    Overlay(String),
}

/// A secret-valued config key: its source and, once resolved, its value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretField {
    source: Source,
    value: Option<Secret>,
}

impl SecretField {
    /// Parses the YAML form. Empty means unset.
    pub fn from_reference(raw: &str) -> SecretField {
        let source = if raw.is_empty() {
            Source::Unset
        } else if let Some(name) = raw.strip_prefix("env://") {
            Source::Env(name.to_string())
        } else if let Some(path) = raw.strip_prefix("file://") {
            Source::File(path.to_string())
        } else {
            return SecretField::literal(raw);
        };
        SecretField {
            source,
            value: None,
        }
    }

    /// A resolved inline literal (as if written verbatim in the file).
    pub fn literal(s: &str) -> SecretField {
        SecretField {
            source: Source::Inline,
            value: Some(Secret::new(s)),
        }
    }

    /// A resolved value supplied by the overlay variable `var` (e.g. `GATEWAY_DATABASE_URL`).
    pub fn from_env_var(var: &str, value: impl Into<String>) -> SecretField {
        SecretField {
            source: Source::Overlay(var.to_string()),
            value: Some(Secret::new(value)),
        }
    }

    pub fn is_unset(&self) -> bool {
        self.source == Source::Unset
    }

    /// True once a value is available (inline literals and overlay values always are).
    pub fn is_resolved(&self) -> bool {
        self.value.is_some()
    }

    /// True for a value written verbatim in the config file (not a reference, not an overlay).
    pub fn is_inline_literal(&self) -> bool {
        self.source == Source::Inline
    }

    /// The resolved value, if any.
    pub fn expose(&self) -> Option<&str> {
        self.value.as_ref().map(Secret::expose)
    }

    /// The resolved value as a [`Secret`], if any.
    pub fn secret(&self) -> Option<&Secret> {
        self.value.as_ref()
    }

    /// Where the value comes from, never the value: `env://NAME`, `file:///p`,
    /// `inline literal`, `GATEWAY_X`, or `unset`.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Unset => "unset".into(),
            Source::Env(name) => format!("env://{name}"),
            Source::File(path) => format!("file://{path}"),
            Source::Inline => "inline literal".into(),
            Source::Overlay(var) => var.clone(),
        }
    }

    /// Reads the referenced value. Unset fields, inline literals and overlay values need no
    /// work. Errors name `key` and the variable or file, never a value.
    pub fn resolve(
        &mut self,
        key: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), String> {
        let value = match &self.source {
            Source::Unset | Source::Inline | Source::Overlay(_) => return Ok(()),
            Source::Env(name) => resolve_env(key, name, env)?,
            Source::File(path) => resolve_file(key, path)?,
        };
        self.value = Some(Secret(value));
        Ok(())
    }
}

fn resolve_env(
    key: &str,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    if name.is_empty() {
        return Err(format!(
            "{key}: env:// reference has no variable name (write env://NAME)"
        ));
    }
    match env(name) {
        None => Err(format!(
            "{key}: environment variable {name} is not set (referenced as env://{name})"
        )),
        Some(v) if v.trim().is_empty() => Err(format!(
            "{key}: environment variable {name} is empty (referenced as env://{name})"
        )),
        Some(v) => Ok(v),
    }
}

fn resolve_file(key: &str, path: &str) -> Result<String, String> {
    let reference = format!("file://{path}");
    if !path.starts_with('/') {
        return Err(format!(
            "{key}: {reference} is not an absolute path (write file:///abs/path, three slashes)"
        ));
    }
    let contents = std::fs::read_to_string(PathBuf::from(path))
        .map_err(|e| format!("{key}: cannot read file {path} (referenced as {reference}): {e}"))?;
    let trimmed = contents.trim();
    if trimmed.is_empty() {
        return Err(format!(
            "{key}: file {path} is empty (referenced as {reference})"
        ));
    }
    Ok(trimmed.to_string())
}

impl fmt::Debug for SecretField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretField")
            .field("source", &self.describe())
            .field("resolved", &self.is_resolved())
            .finish()
    }
}

impl Serialize for SecretField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.source {
            Source::Unset => serializer.serialize_none(),
            Source::Inline => serializer.serialize_str("<redacted>"),
            _ => serializer.serialize_str(&format!("<redacted: {}>", self.describe())),
        }
    }
}

impl<'de> Deserialize<'de> for SecretField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = SecretField;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a string: env://NAME, file:///abs/path or an inline value \
                     (quote values that look like numbers)",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretField, E> {
                Ok(SecretField::from_reference(v))
            }

            fn visit_unit<E: de::Error>(self) -> Result<SecretField, E> {
                Ok(SecretField::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<SecretField, E> {
                Ok(SecretField::default())
            }
        }

        deserializer.deserialize_any(FieldVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolved(raw: &str, env: &[(&str, &str)]) -> Result<SecretField, String> {
        let mut field = SecretField::from_reference(raw);
        field.resolve("auth.bootstrap_admin.password", &env_of(env))?;
        Ok(field)
    }

    #[test]
    fn env_reference_resolves_to_the_variable_value() {
        let field = resolved("env://ADMIN_PW", &[("ADMIN_PW", "s3cret")]).unwrap();
        assert_eq!(field.expose(), Some("s3cret"));
        assert_eq!(field.describe(), "env://ADMIN_PW");
        assert!(!field.is_inline_literal());
    }

    #[test]
    fn unset_env_variable_is_an_error_naming_key_and_variable() {
        let err = resolved("env://ADMIN_PW", &[]).unwrap_err();
        assert_eq!(
            err,
            "auth.bootstrap_admin.password: environment variable ADMIN_PW is not set \
             (referenced as env://ADMIN_PW)"
        );
    }

    #[test]
    fn empty_env_variable_is_an_error_naming_key_and_variable() {
        let err = resolved("env://ADMIN_PW", &[("ADMIN_PW", "  ")]).unwrap_err();
        assert!(err.starts_with("auth.bootstrap_admin.password:"), "{err}");
        assert!(err.contains("ADMIN_PW is empty"), "{err}");
    }

    #[test]
    fn env_reference_without_a_name_is_an_error() {
        let err = resolved("env://", &[]).unwrap_err();
        assert!(err.contains("has no variable name"), "{err}");
    }

    #[test]
    fn file_reference_resolves_to_trimmed_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "  hunter2\n\n").unwrap();
        let raw = format!("file://{}", path.display());
        let field = resolved(&raw, &[]).unwrap();
        assert_eq!(field.expose(), Some("hunter2"));
        assert_eq!(field.describe(), raw);
    }

    #[test]
    fn missing_file_is_an_error_naming_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent");
        let err = resolved(&format!("file://{}", path.display()), &[]).unwrap_err();
        assert!(
            err.starts_with("auth.bootstrap_admin.password: cannot read file"),
            "{err}"
        );
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn empty_file_is_an_error_naming_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blank");
        std::fs::write(&path, " \n").unwrap();
        let err = resolved(&format!("file://{}", path.display()), &[]).unwrap_err();
        assert!(err.contains("is empty"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn relative_file_reference_is_rejected() {
        let err = resolved("file://secrets/pw", &[]).unwrap_err();
        assert!(err.contains("not an absolute path"), "{err}");
    }

    #[test]
    fn anything_else_is_an_inline_literal_resolved_immediately() {
        let field = SecretField::from_reference("admin");
        assert!(field.is_inline_literal());
        assert_eq!(field.expose(), Some("admin"));
        assert_eq!(field.describe(), "inline literal");
        assert_eq!(SecretField::literal("x"), SecretField::from_reference("x"));
    }

    #[test]
    fn empty_string_and_null_mean_unset() {
        assert!(SecretField::from_reference("").is_unset());
        assert!(SecretField::default().is_unset());
        let field: SecretField = serde_yaml::from_str("~").unwrap();
        assert!(field.is_unset());
        let mut field = SecretField::default();
        field.resolve("k", &env_of(&[])).unwrap();
        assert_eq!(field.expose(), None);
    }

    #[test]
    fn numbers_in_yaml_are_rejected_rather_than_silently_converted() {
        let err = serde_yaml::from_str::<SecretField>("12345").unwrap_err();
        assert!(err.to_string().contains("quote values"), "{err}");
    }

    #[test]
    fn debug_and_serialize_never_show_the_value() {
        let env = resolved("env://PW", &[("PW", "topsecret")]).unwrap();
        let inline = SecretField::literal("topsecret");
        let overlay = SecretField::from_env_var("GATEWAY_X", "topsecret");
        for field in [&env, &inline, &overlay] {
            assert!(!format!("{field:?}").contains("topsecret"));
            assert!(!serde_json::to_string(field).unwrap().contains("topsecret"));
        }
        assert_eq!(
            serde_json::to_string(&env).unwrap(),
            r#""<redacted: env://PW>""#
        );
        assert_eq!(serde_json::to_string(&inline).unwrap(), r#""<redacted>""#);
        assert_eq!(
            serde_json::to_string(&SecretField::from_reference("file:///p")).unwrap(),
            r#""<redacted: file:///p>""#
        );
        assert_eq!(
            serde_json::to_string(&SecretField::default()).unwrap(),
            "null"
        );
    }

    #[test]
    fn overlay_values_are_resolved_but_not_inline_literals() {
        let field = SecretField::from_env_var("GATEWAY_DATABASE_URL", "postgres://x");
        assert!(field.is_resolved());
        assert!(!field.is_inline_literal());
        assert_eq!(field.describe(), "GATEWAY_DATABASE_URL");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new("topsecret");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "topsecret");
    }
}
