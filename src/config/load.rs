//! `load`: file → YAML → env overlay → secret resolution → validation → [`Loaded`].
//!
//! YAML errors carry their key path (via `serde_path_to_error`) and line; an unknown key gets
//! the nearest valid key as a suggestion.

use std::collections::HashMap;
use std::path::Path;

use super::dburl::DbUrl;
use super::schema::Config;
use super::suggest::nearest;
use super::{ConfigError, Loaded, env, validate};

/// Loads `path` with `env` as the environment (for `GATEWAY_*` and `env://` references).
pub fn load(path: &Path, env: &HashMap<String, String>) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let invalid = |problems: Vec<String>| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };

    let deserializer = serde_yaml::Deserializer::from_str(&text);
    let mut config: Config = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| invalid(vec![describe_parse_error(e)]))?;

    let overlay = env::apply(&mut config, env.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut problems = overlay.problems.clone();
    problems.extend(resolve_secrets(&mut config, env));
    problems.extend(validate::validate(&config, path, &overlay));
    if !problems.is_empty() {
        return Err(invalid(problems));
    }

    // Validation guarantees a resolved, parsable URL; stay total anyway.
    let db = DbUrl::parse(config.database.url.expose().unwrap_or_default())
        .map_err(|e| invalid(vec![format!("database.url: {e}")]))?;
    let warnings = inline_secret_warnings(&config, &db);
    Ok(Loaded {
        config,
        path: path.to_path_buf(),
        db,
        warnings,
    })
}

/// [`load`] with the process environment (variables that are not UTF-8 are ignored).
pub fn load_from_process_env(path: &Path) -> Result<Loaded, ConfigError> {
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    load(path, &env)
}

/// Every secret-valued key with its path (keep in step with `inline_secret_warnings`).
fn secret_fields(config: &mut Config) -> Vec<(String, &mut super::SecretField)> {
    let mut fields = vec![
        ("database.url".to_string(), &mut config.database.url),
        (
            "auth.bootstrap_admin.password".to_string(),
            &mut config.auth.bootstrap_admin.password,
        ),
    ];
    for (i, provider) in config.providers.iter_mut().enumerate() {
        fields.push((format!("providers[{i}].api_key"), &mut provider.api_key));
    }
    fields
}

fn resolve_secrets(config: &mut Config, env: &HashMap<String, String>) -> Vec<String> {
    let lookup = |name: &str| env.get(name).cloned();
    secret_fields(config)
        .into_iter()
        .filter_map(|(key, field)| field.resolve(&key, &lookup).err())
        .collect()
}

/// In a PostgreSQL-backed deployment secrets belong in env or files, not in the YAML. A
/// database URL without a password (e.g. trust or peer auth) holds no secret.
fn inline_secret_warnings(config: &Config, db: &DbUrl) -> Vec<String> {
    if !db.is_postgres() {
        return Vec::new();
    }
    let mut fields = vec![
        ("database.url".to_string(), &config.database.url),
        (
            "auth.bootstrap_admin.password".to_string(),
            &config.auth.bootstrap_admin.password,
        ),
    ];
    for (i, provider) in config.providers.iter().enumerate() {
        fields.push((format!("providers[{i}].api_key"), &provider.api_key));
    }
    fields
        .into_iter()
        .filter(|(key, field)| {
            field.is_inline_literal() && (key != "database.url" || db.has_password())
        })
        .map(|(key, _)| {
            format!(
                "{key} holds an inline secret; use env://NAME or file:///path in a \
                 PostgreSQL-backed deployment"
            )
        })
        .collect()
}

/// `server.bnid (line 2): unknown key — did you mean server.bind?` and friends.
fn describe_parse_error(err: serde_path_to_error::Error<serde_yaml::Error>) -> String {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let line = inner
        .location()
        .map(|l| format!(" (line {})", l.line()))
        .unwrap_or_default();
    let message = strip_yaml_decorations(&inner.to_string(), &path);
    let key = if path == "." || path.is_empty() {
        "(top level)".to_string()
    } else {
        path.clone()
    };

    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, expected) = quoted_names(rest);
        let parent = path
            .strip_suffix(name.as_str())
            .map(|p| p.trim_end_matches('.'))
            .unwrap_or("");
        let full = |k: &str| match parent {
            "" => k.to_string(),
            p => format!("{p}.{k}"),
        };
        let mut out = format!("unknown key {}{line}", full(&name));
        match nearest(&name, expected.iter().map(String::as_str)) {
            Some(s) => out.push_str(&format!(" — did you mean {}?", full(s))),
            None if expected.is_empty() => {}
            None => out.push_str(&format!("; valid keys here: {}", expected.join(", "))),
        }
        if name == "startup" && parent.is_empty() {
            out.push_str(
                " (startup actions are toggled with GATEWAY_RUN_MIGRATIONS, \
                 GATEWAY_BOOTSTRAP_ADMIN and GATEWAY_SEED_CONFIG, not in the file)",
            );
        }
        return out;
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, expected) = quoted_names(rest);
        let mut out = format!("{key}{line}: unknown value {name:?}");
        if let Some(s) = nearest(&name, expected.iter().map(String::as_str)) {
            out.push_str(&format!(" — did you mean {s:?}?"));
        }
        out.push_str(&format!(" (accepted: {})", expected.join(", ")));
        return out;
    }
    format!("{key}{line}: {message}")
}

/// serde_yaml_ng prefixes its own path and appends ` at line L column C`; we print both
/// ourselves, in our own format.
fn strip_yaml_decorations(message: &str, path: &str) -> String {
    // Its prefix is the path of the value being read: for an unknown key, the parent's.
    let mut message = match message.split_once(": ") {
        Some((prefix, rest))
            if path == prefix
                || path.starts_with(&format!("{prefix}."))
                || path.starts_with(&format!("{prefix}[")) =>
        {
            rest
        }
        _ => message,
    };
    if let Some(at) = message.rfind(" at line ") {
        let tail = &message[at + " at line ".len()..];
        let is_location = tail
            .split_once(" column ")
            .is_some_and(|(l, c)| l.parse::<u64>().is_ok() && c.parse::<u64>().is_ok());
        if is_location {
            message = &message[..at];
        }
    }
    message.to_string()
}

/// From "`bnid`, expected `bind` or `public_url`": the first quoted name and the rest.
fn quoted_names(s: &str) -> (String, Vec<String>) {
    let mut names = s
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter();
    let first = names.next().unwrap_or_default();
    (first, names.collect())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
