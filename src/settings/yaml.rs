//! Operational settings written in a YAML file: the config-file keys that used to configure
//! them (`request_logs.*`), and a `settings:` mapping of setting keys to values (a file made
//! for `gateway settings import`). `gateway serve` warns about the former — the database is
//! the source of truth, so the file's values are not used — naming the command that moves
//! them; `gateway settings import --from FILE` reads both.
//!
//! Reading only: validation is the registry's, writing is `settings::manage::import`.

use std::path::Path;

use serde_json::Value;

use super::registry;

/// Config-file keys that are operational settings, and the setting each one becomes.
pub const CONFIG_KEYS: &[(&str, &str)] = &[
    ("request_logs.capture", registry::CAPTURE),
    (
        "request_logs.max_payload_bytes",
        registry::MAX_PAYLOAD_BYTES,
    ),
    ("request_logs.redact_paths", registry::REDACT_PATHS),
];

/// One operational value found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Where it is in the file, e.g. `request_logs.capture` or `settings."passwords.min_length"`.
    pub path: String,
    /// The setting it sets.
    pub key: String,
    pub value: Value,
}

/// Every operational value in `text` (a YAML document), in file-key order, then the
/// `settings:` mapping in its own order. Errors name what is malformed.
pub fn find(text: &str) -> Result<Vec<Found>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = Vec::new();
    for (path, key) in CONFIG_KEYS {
        let mut node = Some(&doc);
        for part in path.split('.') {
            node = node.and_then(|n| n.get(part));
        }
        if let Some(v) = node {
            out.push(Found {
                path: (*path).to_string(),
                key: (*key).to_string(),
                value: json(v).map_err(|e| format!("{path}: {e}"))?,
            });
        }
    }
    match doc.get("settings") {
        None | Some(serde_yaml::Value::Null) => {}
        Some(serde_yaml::Value::Mapping(map)) => {
            for (k, v) in map {
                let key = k
                    .as_str()
                    .ok_or_else(|| format!("settings: key {k:?} must be a string"))?;
                out.push(Found {
                    path: format!("settings.{key:?}"),
                    key: key.to_string(),
                    value: json(v).map_err(|e| format!("settings.{key}: {e}"))?,
                });
            }
        }
        Some(_) => return Err("settings: must be a mapping of setting keys to values".into()),
    }
    Ok(out)
}

fn json(v: &serde_yaml::Value) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| format!("cannot be read as a value: {e}"))
}

/// The startup warnings for a config file: one per operational key it sets, naming the key,
/// the setting and the import command. Unreadable files give none (loading reported them).
pub fn warnings(path: &Path, text: &str) -> Vec<String> {
    let Ok(found) = find(text) else {
        return Vec::new();
    };
    found
        .iter()
        .map(|f| {
            format!(
                "config key {} in {} is an operational setting ({}) kept in the database, so \
                 this file's value is not used; copy it there with `gateway settings import \
                 --from {}` (add --dry-run to preview), then delete it from the file",
                f.path,
                path.display(),
                f.key,
                path.display()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_keys_and_a_settings_mapping_are_found_with_their_values() {
        let text = "server:\n  bind: 127.0.0.1:0\nrequest_logs:\n  capture: metadata\n  \
                    redact_paths: [\"messages[*].content\"]\nsettings:\n  \
                    passwords.min_length: 16\n";
        let found = find(text).unwrap();
        let pairs: Vec<(&str, &Value)> = found.iter().map(|f| (f.key.as_str(), &f.value)).collect();
        assert_eq!(
            pairs,
            vec![
                ("request_logs.capture", &json!("metadata")),
                ("request_logs.redact_paths", &json!(["messages[*].content"])),
                ("passwords.min_length", &json!(16)),
            ]
        );
        assert_eq!(found[0].path, "request_logs.capture");
    }

    #[test]
    fn a_file_without_operational_keys_warns_about_nothing() {
        let text = "server:\n  public_url: https://gw.example.com\nrequest_logs: {}\n";
        assert!(find(text).unwrap().is_empty());
        assert!(warnings(Path::new("g.yaml"), text).is_empty());
    }

    #[test]
    fn the_warning_names_the_key_the_setting_and_the_import_command() {
        let w = warnings(
            Path::new("/etc/gw.yaml"),
            "request_logs:\n  max_payload_bytes: 99\n",
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("request_logs.max_payload_bytes"), "{}", w[0]);
        assert!(
            w[0].contains("gateway settings import --from /etc/gw.yaml"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn a_settings_entry_that_is_not_a_mapping_is_an_error() {
        assert!(find("settings: [1, 2]\n").is_err());
        assert!(find("settings:\n  - a\n").is_err());
        assert!(find(": : :\n  - [").is_err());
    }
}
